"""Confidence intervals for one task's score: proportions, means, clustered means, bootstrap.

Every function takes the per-item scores of one task (a 1-D array of length n, or the
success count for proportions) and returns an `Interval`. Failed items (NaN) must be
dropped before; `assay.stats.summarize` does that and picks the method.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
from scipy import stats as sps

from assay.stats._checks import (
    RandomState,
    as_generator,
    as_vector,
    check_confidence,
    cluster_codes,
)


class IntervalMethod(str, Enum):
    """How an interval was made; the value is what reports and `MetricSummary.method` show."""

    WILSON = "wilson"
    CLOPPER_PEARSON = "clopper-pearson"
    NORMAL = "normal"
    T = "t"
    CLUSTERED = "clustered"
    BOOTSTRAP_PERCENTILE = "bootstrap-percentile"
    BOOTSTRAP_BASIC = "bootstrap-basic"
    BOOTSTRAP_BCA = "bootstrap-bca"
    NONE = "none"  # no data: the interval is NaN


class BootstrapMethod(str, Enum):
    """Which bootstrap interval (Efron & Tibshirani 1993, ch. 13-14)."""

    PERCENTILE = "percentile"
    BASIC = "basic"
    BCA = "bca"

    @property
    def interval_method(self) -> IntervalMethod:
        return {
            BootstrapMethod.PERCENTILE: IntervalMethod.BOOTSTRAP_PERCENTILE,
            BootstrapMethod.BASIC: IntervalMethod.BOOTSTRAP_BASIC,
            BootstrapMethod.BCA: IntervalMethod.BOOTSTRAP_BCA,
        }[self]


@dataclass(frozen=True)
class Interval:
    """A point estimate with its standard error and a two-sided `confidence` interval
    [low, high] from n observations (for clustered intervals n counts items, not clusters)."""

    low: float
    high: float
    estimate: float
    stderr: float
    method: IntervalMethod
    confidence: float
    n: int

    @property
    def width(self) -> float:
        return self.high - self.low

    def contains(self, value: float) -> bool:
        return bool(self.low <= value <= self.high)


def _z(confidence: float) -> float:
    return float(sps.norm.ppf(0.5 + confidence / 2.0))


def _check_counts(successes: int, n: int) -> None:
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in [0, n={n}], got {successes}")


def wilson(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a proportion `successes / n`.

    Inverts the score test, so it stays inside [0, 1] and keeps near-nominal coverage at
    small n and extreme p where the Wald interval fails (Wilson 1927; Brown, Cai &
    DasGupta 2001, "Interval Estimation for a Binomial Proportion"). Matches
    `statsmodels.stats.proportion.proportion_confint(method="wilson")`. The stderr is the
    plug-in sqrt(p(1-p)/n).
    """
    _check_counts(successes, n)
    confidence = check_confidence(confidence)
    z = _z(confidence)
    p = successes / n
    denom = 1.0 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(
        low=max(0.0, center - half), high=min(1.0, center + half), estimate=p,
        stderr=math.sqrt(p * (1 - p) / n), method=IntervalMethod.WILSON, confidence=confidence, n=n,
    )


def clopper_pearson(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """Clopper-Pearson "exact" interval for a proportion, from beta quantiles.

    Guarantees at least nominal coverage for every p, so it is conservative (often ~97%
    for 95%); use it when under-coverage is unacceptable (Clopper & Pearson 1934).
    Matches `proportion_confint(method="beta")`.
    """
    _check_counts(successes, n)
    confidence = check_confidence(confidence)
    alpha = 1.0 - confidence
    low = 0.0 if successes == 0 else float(sps.beta.ppf(alpha / 2, successes, n - successes + 1))
    high = 1.0 if successes == n else float(sps.beta.ppf(1 - alpha / 2, successes + 1, n - successes))
    p = successes / n
    return Interval(
        low=low, high=high, estimate=p, stderr=math.sqrt(p * (1 - p) / n),
        method=IntervalMethod.CLOPPER_PEARSON, confidence=confidence, n=n,
    )


def proportion_ci(
    successes: int, n: int, confidence: float = 0.95, method: IntervalMethod = IntervalMethod.WILSON
) -> Interval:
    """Interval for `successes / n` by `method` (WILSON or CLOPPER_PEARSON)."""
    if method is IntervalMethod.WILSON:
        return wilson(successes, n, confidence)
    if method is IntervalMethod.CLOPPER_PEARSON:
        return clopper_pearson(successes, n, confidence)
    raise ValueError(f"proportion_ci supports WILSON and CLOPPER_PEARSON, not {method!r}")


def _nan_interval(estimate: float, method: IntervalMethod, confidence: float, n: int) -> Interval:
    return Interval(math.nan, math.nan, estimate, math.nan, method, confidence, n)


def mean_ci(
    values: Sequence[float] | np.ndarray, confidence: float = 0.95, method: IntervalMethod = IntervalMethod.T
) -> Interval:
    """CLT interval for the mean of n i.i.d. item scores: mean +/- q * sd / sqrt(n).

    `values`: shape (n,). `method`: T (Student t with n-1 dof, the default; matches
    `scipy.stats.t.interval`) or NORMAL. With n < 2 the stderr and interval are NaN.
    """
    if method not in (IntervalMethod.T, IntervalMethod.NORMAL):
        raise ValueError(f"mean_ci supports T and NORMAL, not {method!r}")
    x = as_vector(values)
    confidence = check_confidence(confidence)
    n = x.size
    if n == 0:
        return _nan_interval(math.nan, method, confidence, 0)
    mean = float(x.mean())
    if n < 2:
        return _nan_interval(mean, method, confidence, n)
    se = float(x.std(ddof=1) / math.sqrt(n))
    q = float(sps.t.ppf(0.5 + confidence / 2, n - 1)) if method is IntervalMethod.T else _z(confidence)
    return Interval(mean - q * se, mean + q * se, mean, se, method, confidence, n)


def cluster_robust_stderr(values: np.ndarray, codes: np.ndarray, n_clusters: int) -> float:
    """Cluster-robust (CR1) standard error of the mean of `values` (shape (n,)) whose items
    carry integer cluster `codes` in [0, n_clusters).

    The sandwich variance of an intercept-only regression: residuals are summed within a
    cluster before squaring, so correlated items count once per cluster (Liang & Zeger
    1986; Cameron & Miller 2015, "A Practitioner's Guide to Cluster-Robust Inference",
    with the CR1 factor G/(G-1)). Equals statsmodels OLS `cov_type="cluster"`.
    """
    n = values.size
    resid_sums = np.bincount(codes, weights=values - values.mean(), minlength=n_clusters)
    var = n_clusters / (n_clusters - 1) * float(np.sum(resid_sums**2)) / (n * n)
    return math.sqrt(var)


def clustered_mean_ci(
    values: Sequence[float] | np.ndarray,
    clusters: Sequence[Hashable | None] | np.ndarray,
    confidence: float = 0.95,
    bounds: tuple[float, float] | None = None,
) -> Interval:
    """Interval for the mean of n item scores that share cluster ids (a passage, a template,
    a generated family): mean +/- t(G-1) * CR1 stderr, G = number of clusters.

    `values`: shape (n,); `clusters`: n ids, `None` meaning the item is alone in its
    cluster. Items in one cluster are correlated, so the i.i.d. stderr understates the
    error by about sqrt(1 + (m-1) * ICC) for clusters of size m; the t with G-1 dof is
    the few-clusters correction Cameron & Miller (2015) recommend. `bounds` clips the
    interval to the possible range, e.g. (0, 1) for accuracy. Needs G >= 2.
    """
    x = as_vector(values)
    confidence = check_confidence(confidence)
    codes, n_clusters = cluster_codes(clusters, x.size)
    if n_clusters < 2:
        raise ValueError(f"clustered_mean_ci needs at least 2 clusters, got {n_clusters}")
    mean = float(x.mean())
    se = cluster_robust_stderr(x, codes, n_clusters)
    q = float(sps.t.ppf(0.5 + confidence / 2, n_clusters - 1))
    low, high = mean - q * se, mean + q * se
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return Interval(low, high, mean, se, IntervalMethod.CLUSTERED, confidence, x.size)


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    statistic: Callable[..., float | np.ndarray] = np.mean,
    confidence: float = 0.95,
    method: BootstrapMethod = BootstrapMethod.BCA,
    n_resamples: int = 9999,
    rng: RandomState = 0,
) -> Interval:
    """Bootstrap interval for `statistic` of n i.i.d. item scores, via `scipy.stats.bootstrap`.

    `values`: shape (n,). `statistic(x, axis=-1)` should reduce the last axis (numpy
    reductions do; scipy then vectorizes the resamples). BCA corrects the percentile
    interval for bias and skew (Efron 1987); PERCENTILE is what rliable reports.
    Constant data gives a zero-width interval; n < 2 gives NaN.
    """
    x = as_vector(values)
    confidence = check_confidence(confidence)
    if not isinstance(method, BootstrapMethod):
        raise TypeError(f"method must be a BootstrapMethod, got {method!r}")
    imethod = method.interval_method
    if x.size == 0:
        return _nan_interval(math.nan, imethod, confidence, 0)
    estimate = float(statistic(x))
    if x.size < 2:
        return _nan_interval(estimate, imethod, confidence, x.size)
    if np.ptp(x) == 0:  # every resample is identical; scipy would warn and return NaN for BCa
        return Interval(estimate, estimate, estimate, 0.0, imethod, confidence, x.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sps.DegenerateDataWarning)
        res = sps.bootstrap(
            (x,), statistic, n_resamples=n_resamples, confidence_level=confidence,
            method=method.value, rng=as_generator(rng), vectorized=None,
        )
    ci = res.confidence_interval
    return Interval(float(ci.low), float(ci.high), estimate, float(res.standard_error), imethod, confidence, x.size)
