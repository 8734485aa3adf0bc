"""pass@k: the chance that at least one of k samples passes, estimated without bias from n ≥ k.

Chen et al. (2021, *Evaluating Large Language Models Trained on Code*) draw n samples per
problem, count the c that pass, and estimate pass@k = 1 − C(n−c, k) / C(n, k): the
probability that a random k-subset of the n contains a pass. Taking the first k samples,
or 1 − (1 − c/n)^k, is biased (the latter underestimates). The product form below is the
one they give for numerical stability: binomials of n in the hundreds overflow floats.

Used by the test-time scaling curves (`assay.analyses.efficiency`) and code evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assay.stats.intervals import Interval, mean_ci


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem with `c` passing samples out of `n` (needs k ≤ n)."""
    if not 0 <= c <= n:
        raise ValueError(f"passing samples c={c} must be between 0 and n={n}")
    if not 1 <= k <= n:
        raise ValueError(f"k={k} must be between 1 and the number of samples n={n}")
    if n - c < k:  # every k-subset holds a pass
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_at_k_per_item(n: Sequence[int] | np.ndarray, c: Sequence[int] | np.ndarray, k: int) -> np.ndarray:
    """pass@k of each problem (arrays of samples `n` and passes `c`, one entry per problem)."""
    ns, cs = np.asarray(n, dtype=int), np.asarray(c, dtype=int)
    if ns.shape != cs.shape or ns.ndim != 1:
        raise ValueError(f"n and c must be 1-D and the same length, got {ns.shape} and {cs.shape}")
    return np.array([pass_at_k(int(a), int(b), k) for a, b in zip(ns, cs)], dtype=float)


def pass_at_k_ci(n: Sequence[int] | np.ndarray, c: Sequence[int] | np.ndarray, k: int,
                 confidence: float = 0.95) -> Interval:
    """Mean pass@k over problems with a t interval over problems (the problems are the
    sampling unit; each problem's estimate is already unbiased)."""
    return mean_ci(pass_at_k_per_item(n, c, k), confidence=confidence)
