"""assay.stats.intervals: agreement with scipy/statsmodels, edge cases, and coverage.

Coverage simulations use fixed seeds and ~1,000 replications, so the band 0.92-0.975 for a
nominal 95% interval is several binomial standard errors (~0.007) wide on each side. The
full-size versions are in benchmarks/stats_coverage.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from assay.stats import (
    BootstrapMethod,
    IntervalMethod,
    bootstrap_ci,
    clopper_pearson,
    clustered_mean_ci,
    mean_ci,
    proportion_ci,
    wilson,
)

COUNTS = [(0, 10), (1, 10), (7, 20), (50, 100), (99, 100), (100, 100), (3, 1000), (1, 1)]


@pytest.mark.parametrize(("k", "n"), COUNTS)
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_matches_statsmodels(k: int, n: int, confidence: float) -> None:
    iv = wilson(k, n, confidence)
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    assert iv.low == pytest.approx(low, abs=1e-12)
    assert iv.high == pytest.approx(high, abs=1e-12)
    assert iv.estimate == k / n
    assert iv.stderr == pytest.approx(math.sqrt(k / n * (1 - k / n) / n))
    assert iv.method is IntervalMethod.WILSON and iv.n == n


@pytest.mark.parametrize(("k", "n"), COUNTS)
def test_clopper_pearson_matches_statsmodels_beta(k: int, n: int) -> None:
    iv = clopper_pearson(k, n)
    low, high = proportion_confint(k, n, alpha=0.05, method="beta")
    assert iv.low == pytest.approx(low, abs=1e-12)
    assert iv.high == pytest.approx(high, abs=1e-12)
    assert proportion_ci(k, n, method=IntervalMethod.CLOPPER_PEARSON) == iv


def test_proportion_errors() -> None:
    with pytest.raises(ValueError, match="n must be positive"):
        wilson(0, 0)
    with pytest.raises(ValueError, match="successes"):
        wilson(11, 10)
    with pytest.raises(ValueError, match="confidence"):
        wilson(1, 10, confidence=95)
    with pytest.raises(ValueError, match="WILSON and CLOPPER_PEARSON"):
        proportion_ci(1, 10, method=IntervalMethod.T)


def test_mean_ci_matches_scipy_t_and_normal() -> None:
    x = np.array([0.31, 0.52, 0.12, 0.88, 0.47, 0.66, 0.05, 0.73, 0.29])
    iv = mean_ci(x)
    low, high = sps.t.interval(0.95, x.size - 1, loc=x.mean(), scale=sps.sem(x))
    assert (iv.low, iv.high) == pytest.approx((low, high))
    assert iv.stderr == pytest.approx(sps.sem(x))
    nv = mean_ci(x, 0.9, IntervalMethod.NORMAL)
    assert (nv.low, nv.high) == pytest.approx(sps.norm.interval(0.9, loc=x.mean(), scale=sps.sem(x)))


def test_mean_ci_small_and_bad_input() -> None:
    one = mean_ci([0.4])
    assert one.estimate == 0.4 and math.isnan(one.stderr) and math.isnan(one.low)
    assert math.isnan(mean_ci([]).estimate)
    with pytest.raises(ValueError, match="1-D"):
        mean_ci(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        mean_ci([1.0, math.nan])
    with pytest.raises(ValueError, match="T and NORMAL"):
        mean_ci([1.0, 2.0], method=IntervalMethod.WILSON)


def test_clustered_matches_statsmodels_cluster_robust_ols() -> None:
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(12), rng.integers(2, 9, size=12))
    y = rng.normal(size=groups.size) + rng.normal(size=12)[groups]
    iv = clustered_mean_ci(y, groups)
    fit = sm.OLS(y, np.ones(y.size)).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    assert iv.stderr == pytest.approx(float(fit.bse[0]), rel=1e-10)
    assert (iv.low, iv.high) == pytest.approx(tuple(fit.conf_int()[0]), rel=1e-10)  # t with G-1 dof
    assert iv.method is IntervalMethod.CLUSTERED and iv.n == y.size


def test_clustered_with_singletons_is_the_t_interval() -> None:
    x = np.array([0.2, 0.9, 0.4, 0.7, 0.1, 0.5])
    by_none = clustered_mean_ci(x, [None] * x.size)
    by_t = mean_ci(x)
    assert (by_none.low, by_none.high, by_none.stderr) == pytest.approx((by_t.low, by_t.high, by_t.stderr))


def test_clustered_bounds_and_errors() -> None:
    x = np.array([1.0, 1, 1, 0, 1, 1])
    iv = clustered_mean_ci(x, ["a", "a", "b", "b", "c", "c"], bounds=(0.0, 1.0))
    assert iv.high == 1.0 and iv.low >= 0.0
    with pytest.raises(ValueError, match="at least 2 clusters"):
        clustered_mean_ci(x, ["a"] * 6)
    with pytest.raises(ValueError, match="one id per value"):
        clustered_mean_ci(x, ["a", "b"])


def test_bootstrap_ci_wraps_scipy() -> None:
    x = np.random.default_rng(11).exponential(size=40)
    for method in BootstrapMethod:
        iv = bootstrap_ci(x, np.mean, method=method, n_resamples=2000, rng=5)
        ref = sps.bootstrap((x,), np.mean, method=method.value, n_resamples=2000, rng=np.random.default_rng(5))
        assert (iv.low, iv.high) == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high))
        assert iv.stderr == pytest.approx(ref.standard_error)
        assert iv.method is method.interval_method
    assert bootstrap_ci(x, rng=1) == bootstrap_ci(x, rng=1)  # seeded: reproducible


def test_bootstrap_ci_degenerate() -> None:
    flat = bootstrap_ci([0.5] * 10)
    assert (flat.low, flat.high, flat.stderr) == (0.5, 0.5, 0.0)
    assert math.isnan(bootstrap_ci([0.5]).low)
    with pytest.raises(TypeError):
        bootstrap_ci([1.0, 2.0], method="bca")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rng"):
        bootstrap_ci([1.0, 2.0], rng="seed")  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [30, 100])
def test_wilson_coverage(n: int) -> None:
    """95% Wilson intervals cover the true accuracy ~95% of the time. Each replication draws
    p ~ U(0.05, 0.95): at one fixed p coverage oscillates with p because k is discrete
    (Brown, Cai & DasGupta 2001, "Interval Estimation for a Binomial Proportion")."""
    rng = np.random.default_rng(2024 + n)
    p = rng.uniform(0.05, 0.95, size=2000)
    k = rng.binomial(n, p)
    coverage = np.mean([wilson(int(ki), n).contains(pi) for ki, pi in zip(k, p, strict=True)])
    assert 0.92 <= coverage <= 0.975, coverage


def test_clopper_pearson_never_under_covers() -> None:
    """Exact coverage (summing the binomial pmf) is at least 95% at every p."""
    n = 40
    k = np.arange(n + 1)
    for p in np.linspace(0.01, 0.99, 50):
        covered = [clopper_pearson(int(ki), n).contains(p) for ki in k]
        assert np.sum(sps.binom.pmf(k, n, p)[covered]) >= 0.95


def _clustered_binary(rng: np.random.Generator, n_clusters: int, size: int, mean: float, icc: float) -> np.ndarray:
    """0/1 scores where items of a cluster share a Beta-distributed success rate; the
    intra-cluster correlation is `icc` (beta-binomial: ICC = 1 / (a + b + 1))."""
    concentration = 1 / icc - 1
    rates = rng.beta(mean * concentration, (1 - mean) * concentration, size=n_clusters)
    return (rng.random((n_clusters, size)) < rates[:, None]).astype(float).ravel()


def test_clustered_coverage_under_strong_intra_cluster_correlation() -> None:
    """With ICC 0.3 in clusters of 10 the design effect is 1 + 9 * 0.3 = 3.7: the naive
    Wilson interval (independent items) is ~half as wide as it must be and under-covers
    badly, while the cluster-robust interval keeps ~95% (Cameron & Miller 2015)."""
    rng = np.random.default_rng(99)
    n_clusters, size, mean, reps = 40, 10, 0.6, 1000
    codes = np.repeat(np.arange(n_clusters), size)
    clustered = naive = 0
    for _ in range(reps):
        y = _clustered_binary(rng, n_clusters, size, mean, icc=0.3)
        clustered += clustered_mean_ci(y, codes, bounds=(0, 1)).contains(mean)
        naive += wilson(int(y.sum()), y.size).contains(mean)
    assert 0.92 <= clustered / reps <= 0.975, clustered / reps
    assert naive / reps < 0.8, naive / reps
