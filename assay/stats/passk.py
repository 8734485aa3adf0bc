"""pass@k: the chance that at least one of k samples passes, estimated without bias from n ≥ k,
with an interval clustered by problem.

Chen et al. (2021, *Evaluating Large Language Models Trained on Code*) draw n samples per
problem, count the c that pass, and estimate pass@k = 1 − C(n−c, k) / C(n, k): the
probability that a random k-subset of the n contains a pass. Taking the first k samples,
or 1 − (1 − c/n)^k, is biased (the latter underestimates). The product form below is the
one they give for numerical stability: binomials of n in the hundreds overflow floats.

The n samples of one problem are correlated (same prompt), so the problem is the unit: a
benchmark's pass@k is the mean of per-problem estimates, and its interval is a t interval
over problems (each problem one cluster), never over the n × problems samples.

Used by the test-time scaling curves (`assay.analyses.efficiency`) and code evaluation
(`assay.scoring.code`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats as sps

from assay.stats._checks import check_confidence
from assay.stats.intervals import Interval, IntervalMethod


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem with `c` passing samples out of `n` (needs k ≤ n)."""
    if not 0 <= c <= n:
        raise ValueError(f"passing samples c={c} must be between 0 and n={n}")
    if not 1 <= k <= n:
        raise ValueError(f"k={k} must be between 1 and the number of samples n={n}")
    if n - c < k:  # every k-subset holds a pass
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_at_k_per_problem(n: Sequence[int] | np.ndarray, c: Sequence[int] | np.ndarray, k: int) -> np.ndarray:
    """pass@k of each problem (arrays of samples `n` and passes `c`, one entry per problem;
    n may differ by problem)."""
    ns, cs = np.asarray(n, dtype=int), np.asarray(c, dtype=int)
    if ns.shape != cs.shape or ns.ndim != 1:
        raise ValueError(f"n and c must be 1-D and the same length, got {ns.shape} and {cs.shape}")
    return np.array([pass_at_k(int(a), int(b), k) for a, b in zip(ns, cs)], dtype=float)


pass_at_k_per_item = pass_at_k_per_problem  # the earlier name


def pass_at_k_ci(n: Sequence[int] | np.ndarray, c: Sequence[int] | np.ndarray, k: int,
                 confidence: float = 0.95) -> Interval:
    """Mean pass@k over problems with a t interval over problems (the problems are the
    sampling unit; each problem's estimate is already unbiased), clipped to [0, 1]."""
    return problem_mean_ci(pass_at_k_per_problem(n, c, k), confidence)


def problem_mean_ci(per_problem: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """Mean of one value in [0, 1] per problem (pass@k, an efficiency score) with a t
    interval over problems, clipped to [0, 1]. NaN entries (problems not scored) are
    dropped; fewer than two problems give a NaN interval."""
    confidence = check_confidence(confidence)
    x = np.asarray(per_problem, dtype=float)
    x = x[~np.isnan(x)]
    m = x.size
    if m == 0:
        return Interval(math.nan, math.nan, math.nan, math.nan, IntervalMethod.CLUSTERED, confidence, 0)
    mean = float(x.mean())
    if m < 2:
        return Interval(math.nan, math.nan, mean, math.nan, IntervalMethod.CLUSTERED, confidence, m)
    se = float(x.std(ddof=1) / math.sqrt(m))
    q = float(sps.t.ppf(0.5 + confidence / 2, m - 1))
    return Interval(max(0.0, mean - q * se), min(1.0, mean + q * se), mean, se, IntervalMethod.CLUSTERED, confidence, m)
