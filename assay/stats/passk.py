"""pass@k: the chance that at least one of k samples solves a problem, estimated without
bias from n >= k samples of which c pass, with an interval clustered by problem.

The estimator is Chen et al. (2021, "Evaluating Large Language Models Trained on Code",
the HumanEval paper, eq. 1): pass@k = 1 - C(n-c, k) / C(n, k), computed as a product so it
stays exact for large n. Taking 1-(1-c/n)^k instead is biased low. The n samples of one
problem are correlated (same prompt), so the problem is the unit: the benchmark's pass@k is
the mean of per-problem estimates, and its interval is a t interval over problems (each
problem one cluster), never over the n x problems samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats as sps

from assay.stats._checks import check_confidence
from assay.stats.intervals import Interval, IntervalMethod


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem with `c` passing samples out of `n` (k <= n)."""
    if not (isinstance(n, (int, np.integer)) and isinstance(c, (int, np.integer)) and isinstance(k, (int, np.integer))):
        raise TypeError("n, c and k must be integers")
    if n < 1 or k < 1 or c < 0 or c > n:
        raise ValueError(f"need n >= 1, k >= 1 and 0 <= c <= n; got n={n}, c={c}, k={k}")
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples per problem, got n={n}")
    if n - c < k:
        return 1.0
    # 1 - prod_{i=n-c+1}^{n} (1 - k/i): the ratio of binomials without overflow.
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_at_k_per_problem(n: Sequence[int] | np.ndarray, c: Sequence[int] | np.ndarray, k: int) -> np.ndarray:
    """pass@k of each problem: `n` and `c` have shape (problems,); n may differ by problem."""
    ns, cs = np.asarray(n), np.asarray(c)
    if ns.shape != cs.shape or ns.ndim != 1:
        raise ValueError(f"n and c must be 1-D of one length, got shapes {ns.shape} and {cs.shape}")
    return np.array([pass_at_k(int(a), int(b), k) for a, b in zip(ns, cs)], dtype=float)


def pass_at_k_ci(n: Sequence[int] | np.ndarray, c: Sequence[int] | np.ndarray, k: int,
                 confidence: float = 0.95) -> Interval:
    """Mean pass@k over problems with a t interval over problems, clipped to [0, 1].

    `n`, `c`: shape (problems,), samples and passing samples per problem. With every
    problem given the same weight the problem is the cluster, so this equals
    `clustered_mean_ci` of the per-sample contributions grouped by problem. Fewer than two
    problems give a NaN interval.
    """
    confidence = check_confidence(confidence)
    per = pass_at_k_per_problem(n, c, k)
    return problem_mean_ci(per, confidence)


def problem_mean_ci(per_problem: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """Mean of one value per problem (pass@k, an efficiency score) with a t interval over
    problems, clipped to [0, 1]."""
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
