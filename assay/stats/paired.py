"""Paired comparison of two models scored on the same n items: difference CI and p-values.

`a` and `b` are shape (n,) arrays, `a[i]` and `b[i]` the two models' scores on item i.
Pairing removes the between-item variance (item difficulty) from the comparison, so it
detects far smaller differences than comparing two independent intervals.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

import numpy as np
from scipy import stats as sps

from assay.stats._checks import (
    RandomState,
    as_generator,
    as_vector,
    cluster_codes,
    same_length,
)
from assay.stats.intervals import Interval, IntervalMethod, clustered_mean_ci, mean_ci


class PairedTest(str, Enum):
    """Which test made a paired p-value; the value is what reports show."""

    MCNEMAR_EXACT = "mcnemar-exact"
    PERMUTATION = "permutation"
    CLUSTER_PERMUTATION = "cluster-permutation"
    BOOTSTRAP = "bootstrap-t"
    CLUSTER_BOOTSTRAP = "cluster-bootstrap-t"


@dataclass(frozen=True)
class PairedTestResult:
    """A two-sided test of "no difference": its statistic, p-value and n paired items
    (`n_resamples` is 0 for exact tests)."""

    statistic: float
    p_value: float
    test: PairedTest
    n: int
    n_resamples: int = 0


@dataclass(frozen=True)
class PairedComparison:
    """Model A minus model B on the same items: mean difference `diff` with its interval,
    the p-value of `test`, and whether n items could resolve a difference this large
    (`resolvable`: |diff| >= the minimum detectable difference at 80% power)."""

    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    test: PairedTest
    name: str = ""
    stderr: float = math.nan
    confidence: float = 0.95
    ci_method: IntervalMethod = IntervalMethod.T
    minimum_detectable_difference: float = math.nan
    resolvable: bool = False
    n_failed: int = 0

    def significant(self, alpha: float | None = None) -> bool:
        """p < alpha (default: 1 - confidence)."""
        return bool(self.p_value < (1 - self.confidence if alpha is None else alpha))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["test"] = self.test.value
        out["ci_method"] = self.ci_method.value
        return out


def _paired_vectors(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = as_vector(a, "a"), as_vector(b, "b")
    same_length(x, y)
    if x.size == 0:
        raise ValueError("a and b are empty: nothing to compare")
    return x, y


def paired_difference_ci(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    clusters: Sequence[Hashable | None] | np.ndarray | None = None,
    confidence: float = 0.95,
    method: IntervalMethod = IntervalMethod.T,
) -> Interval:
    """Interval for mean(a - b) over n paired items (`a`, `b`: shape (n,)).

    Without clusters: a t (or NORMAL) interval on the per-item differences, the paired
    t interval. With `clusters` (n ids): the cluster-robust interval on the differences,
    as `clustered_mean_ci` (Miller 2024, "Adding Error Bars to Evals", recommends both
    pairing and clustering).
    """
    x, y = _paired_vectors(a, b)
    d = x - y
    if clusters is not None:
        return clustered_mean_ci(d, clusters, confidence)
    return mean_ci(d, confidence, method)


def mcnemar_exact(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> PairedTestResult:
    """McNemar's exact test for two binary (0/1) score vectors of shape (n,).

    Only discordant items matter: with n01 items A got right and B wrong and n10 the
    reverse, under H0 n01 ~ Binomial(n01 + n10, 1/2); the two-sided p-value is twice the
    smaller tail, capped at 1 (McNemar 1947; Fagerland, Lydersen & Laake 2013). Matches
    `statsmodels.stats.contingency_tables.mcnemar(exact=True)`; the statistic is
    min(n01, n10) as there. Assumes independent items; use a cluster test otherwise.
    """
    x, y = _paired_vectors(a, b)
    for name, v in (("a", x), ("b", y)):
        if not np.isin(v, (0.0, 1.0)).all():
            raise ValueError(f"mcnemar_exact needs binary 0/1 scores; {name} has other values")
    n01 = int(np.sum((x == 1) & (y == 0)))
    n10 = int(np.sum((x == 0) & (y == 1)))
    k, m = min(n01, n10), n01 + n10
    p = 1.0 if m == 0 else min(1.0, 2.0 * float(sps.binom.cdf(k, m, 0.5)))
    return PairedTestResult(statistic=float(k), p_value=p, test=PairedTest.MCNEMAR_EXACT, n=x.size)


def _cluster_totals(
    d: np.ndarray, clusters: Sequence[Hashable | None] | np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster sums of the differences and cluster sizes (each item alone without clusters)."""
    if clusters is None:
        return d, np.ones_like(d)
    codes, g = cluster_codes(clusters, d.size)
    return np.bincount(codes, weights=d, minlength=g), np.bincount(codes, minlength=g).astype(float)


def paired_permutation_test(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    clusters: Sequence[Hashable | None] | np.ndarray | None = None,
    n_resamples: int = 9999,
    rng: RandomState = 0,
) -> PairedTestResult:
    """Two-sided paired permutation (sign-flip) test of mean(a - b) = 0, via
    `scipy.stats.permutation_test` with `permutation_type="samples"`.

    Under H0 the labels A/B are exchangeable within an item, so each difference's sign
    is a fair coin (Fisher 1935; Good 2005, "Permutation, Parametric and Bootstrap
    Tests"). With `clusters`, signs flip per cluster (items of one passage swap together),
    which keeps the test valid when items are correlated within clusters.
    Exact (all 2^n flips) when 2^n <= n_resamples.
    """
    x, y = _paired_vectors(a, b)
    totals, _ = _cluster_totals(x - y, clusters)
    n = x.size

    def mean_difference(t: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.sum(t, axis=axis) / n

    if not np.any(totals):  # identical scores: no flip changes anything
        p = 1.0
    else:
        res = sps.permutation_test(
            (totals,), mean_difference, permutation_type="samples", vectorized=True,
            n_resamples=n_resamples, rng=as_generator(rng),
        )
        p = float(min(1.0, res.pvalue))
    test = PairedTest.PERMUTATION if clusters is None else PairedTest.CLUSTER_PERMUTATION
    return PairedTestResult(float(np.sum(totals) / n), p, test, n, n_resamples)


def paired_bootstrap_test(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    clusters: Sequence[Hashable | None] | np.ndarray | None = None,
    n_resamples: int = 9999,
    rng: RandomState = 0,
) -> PairedTestResult:
    """Two-sided paired bootstrap-t test of mean(a - b) = 0.

    Resamples items (or whole clusters) with replacement and compares the observed
    t = mean / se with the bootstrap distribution of (mean* - mean) / se*, which is
    centred on the null; studentizing makes it second-order accurate, so the false-positive
    rate holds better at small n than a percentile bootstrap (Hall 1992; Efron &
    Tibshirani 1993, ch. 16). se is the CR1 cluster-robust stderr (the i.i.d. one
    without clusters). p = (1 + #{|t*| >= |t|}) / (1 + n_resamples).
    """
    x, y = _paired_vectors(a, b)
    totals, sizes = _cluster_totals(x - y, clusters)
    g, n = totals.size, x.size
    test = PairedTest.BOOTSTRAP if clusters is None else PairedTest.CLUSTER_BOOTSTRAP
    if g < 2:
        return PairedTestResult(math.nan, math.nan, test, n, n_resamples)
    gen = as_generator(rng)

    def t_stats(t: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = t.sum(axis=-1) / m.sum(axis=-1)
        resid = t - mean[..., None] * m
        se = np.sqrt(g / (g - 1) * np.sum(resid**2, axis=-1)) / m.sum(axis=-1)
        return mean, se

    mean0, se0 = (float(v) for v in t_stats(totals, sizes))
    if se0 == 0:
        # every resample is the observed data: a constant non-zero difference is as
        # significant as the bootstrap can say, a constant zero not at all
        p_const = 1.0 / (n_resamples + 1) if mean0 else 1.0
        return PairedTestResult(math.inf if mean0 else 0.0, p_const, test, n, n_resamples)
    t_obs = abs(mean0 / se0)
    exceed = 0
    batch = max(1, 2_000_000 // g)
    for start in range(0, n_resamples, batch):
        idx = gen.integers(0, g, size=(min(batch, n_resamples - start), g))
        mean, se = t_stats(totals[idx], sizes[idx])
        with np.errstate(divide="ignore", invalid="ignore"):
            t_star = np.abs(mean - mean0) / se
        t_star = np.where(se == 0, np.where(mean == mean0, 0.0, np.inf), t_star)
        exceed += int(np.sum(t_star >= t_obs))
    return PairedTestResult(mean0 / se0, (1 + exceed) / (1 + n_resamples), test, n, n_resamples)
