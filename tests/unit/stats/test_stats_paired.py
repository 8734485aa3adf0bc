"""assay.stats.paired: agreement with scipy/statsmodels and false-positive rates under the null.

Each null simulation runs ~1,000 comparisons with a fixed seed; at a true 5% rate the
binomial standard error is ~0.007, so 0.03-0.07 is a safe band (McNemar's exact test is
conservative by design, so only its upper side is pinned). Full-size runs:
benchmarks/stats_coverage.py.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar

from assay.stats import (
    IntervalMethod,
    PairedTest,
    clustered_mean_ci,
    mcnemar_exact,
    paired_bootstrap_test,
    paired_difference_ci,
    paired_permutation_test,
)


def _table(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array([[np.sum((a == 1) & (b == 1)), np.sum((a == 1) & (b == 0))],
                     [np.sum((a == 0) & (b == 1)), np.sum((a == 0) & (b == 0))]])


@pytest.mark.parametrize("seed", range(6))
def test_mcnemar_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 120))
    a = (rng.random(n) < 0.6).astype(float)
    b = np.where(rng.random(n) < 0.8, a, 1 - a)
    ours = mcnemar_exact(a, b)
    ref = mcnemar(_table(a, b), exact=True)
    assert ours.p_value == pytest.approx(ref.pvalue, abs=1e-12)
    assert ours.statistic == ref.statistic
    assert ours.test is PairedTest.MCNEMAR_EXACT and ours.n == n


def test_mcnemar_edge_cases() -> None:
    same = np.array([1.0, 0, 1, 1])
    assert mcnemar_exact(same, same).p_value == 1.0
    with pytest.raises(ValueError, match="binary"):
        mcnemar_exact([0.5, 1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="same shape"):
        mcnemar_exact([1.0, 0.0], [1.0])


def test_paired_difference_ci_is_the_paired_t_interval() -> None:
    rng = np.random.default_rng(4)
    a = rng.normal(size=30)
    b = a + rng.normal(0.2, 0.5, size=30)
    iv = paired_difference_ci(a, b)
    ref = sps.ttest_rel(a, b).confidence_interval(0.95)
    assert (iv.low, iv.high) == pytest.approx((ref.low, ref.high))
    assert iv.estimate == pytest.approx(np.mean(a - b))
    codes = np.repeat(np.arange(6), 5)
    clustered = paired_difference_ci(a, b, clusters=codes)
    assert clustered == clustered_mean_ci(a - b, codes)
    assert paired_difference_ci(a, b, method=IntervalMethod.NORMAL).method is IntervalMethod.NORMAL


def test_permutation_test_is_exact_sign_flipping() -> None:
    a = np.array([0.9, 0.4, 0.7, 0.8, 0.3, 0.6, 0.95, 0.5])
    b = np.array([0.5, 0.5, 0.2, 0.6, 0.3, 0.1, 0.55, 0.6])
    d = a - b
    flips = np.array([np.mean(d * s) for s in itertools.product((1, -1), repeat=d.size)])
    one_sided = min(np.mean(flips >= d.mean() - 1e-12), np.mean(flips <= d.mean() + 1e-12))
    res = paired_permutation_test(a, b)  # 2^8 = 256 <= n_resamples: exact enumeration
    assert res.p_value == pytest.approx(min(1.0, 2 * one_sided))
    assert res.statistic == pytest.approx(d.mean())
    assert res.test is PairedTest.PERMUTATION
    assert paired_permutation_test(a, a).p_value == 1.0


def test_cluster_permutation_flips_whole_clusters() -> None:
    d = np.array([0.3, 0.1, -0.2, 0.4, 0.5, 0.2, -0.1, 0.6])
    codes = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    totals = np.bincount(codes, weights=d)
    flips = np.array([np.sum(totals * s) / d.size for s in itertools.product((1, -1), repeat=4)])
    one_sided = min(np.mean(flips >= d.mean() - 1e-12), np.mean(flips <= d.mean() + 1e-12))
    res = paired_permutation_test(d, np.zeros_like(d), clusters=codes)
    assert res.p_value == pytest.approx(min(1.0, 2 * one_sided))
    assert res.test is PairedTest.CLUSTER_PERMUTATION


def test_bootstrap_test_detects_a_real_difference_and_not_an_identity() -> None:
    rng = np.random.default_rng(8)
    a = rng.normal(size=60)
    assert paired_bootstrap_test(a + 0.5 + 0.1 * rng.normal(size=60), a, rng=1).p_value < 0.001
    assert paired_bootstrap_test(a, a).p_value == 1.0
    res = paired_bootstrap_test(a, a[::-1], n_resamples=999, rng=2)
    assert res == paired_bootstrap_test(a, a[::-1], n_resamples=999, rng=2)  # seeded
    assert 0 < res.p_value <= 1 and res.n_resamples == 999


def _null_pair(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two models with identical skill: item difficulty shared, independent noise."""
    difficulty = rng.normal(0, 1, n)
    return difficulty + rng.normal(0, 1, n), difficulty + rng.normal(0, 1, n)


def test_permutation_false_positive_rate() -> None:
    rng = np.random.default_rng(7)
    reps = 1000
    hits = sum(paired_permutation_test(*_null_pair(rng, 40), n_resamples=499, rng=rng).p_value < 0.05
               for _ in range(reps))
    assert 0.03 <= hits / reps <= 0.07, hits / reps


def test_bootstrap_false_positive_rate_with_skewed_scores() -> None:
    rng = np.random.default_rng(17)
    reps = 1000
    hits = sum(paired_bootstrap_test(rng.exponential(size=25), rng.exponential(size=25), n_resamples=499,
                                     rng=rng).p_value < 0.05 for _ in range(reps))
    assert 0.03 <= hits / reps <= 0.07, hits / reps


def test_mcnemar_false_positive_rate() -> None:
    rng = np.random.default_rng(27)
    reps, n = 2000, 200
    hits = 0
    for _ in range(reps):
        p = rng.uniform(0.2, 0.9, size=n)  # per-item difficulty, the same for both models
        hits += mcnemar_exact(rng.random(n) < p, rng.random(n) < p).p_value < 0.05
    assert 0.015 <= hits / reps <= 0.06, hits / reps


def test_clustered_null_item_level_tests_inflate_cluster_tests_hold() -> None:
    """Differences that swing together within a passage: treating items as independent
    flags a "difference" far more than 5% of the time; flipping whole clusters does not."""
    rng = np.random.default_rng(37)
    n_clusters, size = 30, 8
    codes = np.repeat(np.arange(n_clusters), size)
    zeros = np.zeros(n_clusters * size)

    def null_diffs() -> np.ndarray:
        return np.repeat(rng.normal(0, 1, n_clusters), size) + rng.normal(0, 0.5, n_clusters * size)

    naive = sum(paired_permutation_test(null_diffs(), zeros, n_resamples=199, rng=rng).p_value < 0.05
                for _ in range(100))
    assert naive / 100 > 0.25
    reps = 1000
    perm = boot = 0
    for _ in range(reps):
        d = null_diffs()
        perm += paired_permutation_test(d, zeros, codes, n_resamples=499, rng=rng).p_value < 0.05
        boot += paired_bootstrap_test(d, zeros, codes, n_resamples=499, rng=rng).p_value < 0.05
    assert 0.03 <= perm / reps <= 0.07, perm / reps
    assert 0.03 <= boot / reps <= 0.075, boot / reps
