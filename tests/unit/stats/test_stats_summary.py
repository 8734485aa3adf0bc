"""assay.stats.summary: the rules `summarize` and `compare_paired` follow for the engine and CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from assay.core.results import MetricSummary
from assay.stats import (
    IntervalMethod,
    PairedTest,
    clustered_mean_ci,
    compare_paired,
    mean_ci,
    summarize,
    wilson,
)

NAN = math.nan


def test_binary_scores_get_wilson_and_nan_counts_as_failed() -> None:
    s = summarize("acc", [1, 0, 1, NAN, 1, 1, NAN])
    ref = wilson(4, 5)
    assert isinstance(s, MetricSummary)
    assert (s.value, s.n, s.n_failed, s.method) == (0.8, 5, 2, "wilson")
    assert (s.ci_low, s.ci_high, s.stderr) == pytest.approx((ref.low, ref.high, math.sqrt(0.8 * 0.2 / 5)))


def test_non_binary_scores_get_t() -> None:
    values = [0.2, 0.5, 0.9, 0.4]
    s = summarize("f1", values, confidence=0.9)
    ref = mean_ci(values, 0.9)
    assert s.method == "t"
    assert (s.value, s.stderr, s.ci_low, s.ci_high) == pytest.approx((ref.estimate, ref.stderr, ref.low, ref.high))


def test_empty_and_single() -> None:
    empty = summarize("acc", [NAN, NAN])
    assert empty.n == 0 and empty.n_failed == 2 and math.isnan(empty.value) and math.isnan(empty.ci_low)
    assert summarize("acc", []).n == 0
    one = summarize("acc", [1.0])
    assert one.n == 1 and one.value == 1.0 and one.ci_high == 1.0 and one.ci_low > 0  # Wilson at n = 1
    single = summarize("f1", [0.3])
    assert single.value == 0.3 and math.isnan(single.stderr) and math.isnan(single.ci_low)


def test_clusters_switch_to_clustered_and_align_with_failures() -> None:
    values = [1, 1, 0, NAN, 0, 1, 1, 0]
    clusters = ["p1", "p1", "p2", "p2", "p2", "p3", None, "p3"]
    s = summarize("acc", values, clusters=clusters)
    kept = [1, 1, 0, 0, 1, 1, 0]
    ref = clustered_mean_ci(kept, ["p1", "p1", "p2", "p2", "p3", None, "p3"], bounds=(0, 1))
    assert s.method == "clustered" and s.n == 7 and s.n_failed == 1
    assert (s.stderr, s.ci_low, s.ci_high) == pytest.approx((ref.stderr, ref.low, ref.high))
    assert s.ci_low >= 0.0 and s.ci_high <= 1.0


def test_clustered_non_binary_is_clipped_to_the_observed_range() -> None:
    s = summarize("bleu", [0.9, 0.91, 0.2, 0.95, 0.97, 0.96], clusters=["a", "a", "a", "b", "b", "b"])
    assert s.method == "clustered"
    assert s.ci_low >= 0.2 and s.ci_high <= 0.97


@pytest.mark.parametrize("clusters", [
    ["a", "a", "a", "a"],          # one named cluster
    ["a", None, None, None],       # one named cluster plus singletons
    ["a", "b", "c", "d"],          # every item its own cluster
    [None, None, None, None],
])
def test_clusters_that_change_nothing_are_ignored(clusters: list[str | None]) -> None:
    assert summarize("acc", [1, 0, 1, 1], clusters=clusters).method == "wilson"


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="one id per value"):
        summarize("acc", [1, 0], clusters=["a"])
    with pytest.raises(ValueError, match="1-D"):
        summarize("acc", [[1, 0]])
    with pytest.raises(ValueError, match="confidence"):
        summarize("acc", [1, 0], confidence=1.0)


def test_compare_paired_binary_uses_mcnemar() -> None:
    rng = np.random.default_rng(0)
    a = (rng.random(300) < 0.7).astype(float)
    b = np.where(rng.random(300) < 0.15, 1 - a, a)
    b[:40] = 0
    a[:40] = 1
    c = compare_paired("acc", a, b)
    assert c.test is PairedTest.MCNEMAR_EXACT and c.n == 300 and c.name == "acc"
    assert c.diff == pytest.approx(a.mean() - b.mean())
    assert c.ci_low < c.diff < c.ci_high and c.ci_method is IntervalMethod.T
    assert c.p_value < 0.05 and c.significant()
    assert c.resolvable and 0 < c.minimum_detectable_difference < abs(c.diff)
    json.dumps(c.to_dict())


def test_compare_paired_continuous_and_failures() -> None:
    rng = np.random.default_rng(1)
    a = rng.random(50)
    b = a + rng.normal(0, 0.01, 50)
    a[3], b[7] = NAN, NAN
    c = compare_paired("f1", a, b, n_resamples=999)
    assert c.test is PairedTest.PERMUTATION and c.n == 48 and c.n_failed == 2
    assert not c.resolvable and c.p_value > 0.05 and c.minimum_detectable_difference > abs(c.diff)


def test_compare_paired_interval_stays_within_the_score_range() -> None:
    # Three items, two flipped: the t interval (t_{0.975,2} = 4.3) would reach past -1,
    # a gap of over 100 points that scores in [0, 1] cannot have.
    c = compare_paired("acc", [0.0, 0.0, 1.0], [1.0, 1.0, 1.0])
    assert c.diff == pytest.approx(-2 / 3)
    assert c.ci_low == -1.0 and c.ci_high <= 1.0
    wide = compare_paired("loss", [0.0, 0.0, 3.0], [1.0, 1.0, 1.0])
    assert wide.ci_low < -1.0  # unbounded scores keep the plain t interval


def test_compare_paired_clustered() -> None:
    rng = np.random.default_rng(2)
    groups = np.repeat([f"passage{i}" for i in range(10)], 6)
    a = (rng.random(60) < 0.6).astype(float)
    b = (rng.random(60) < 0.6).astype(float)
    c = compare_paired("acc", a, b, clusters=list(groups))
    assert c.test is PairedTest.CLUSTER_PERMUTATION and c.ci_method is IntervalMethod.CLUSTERED
    assert c.ci_low <= c.diff <= c.ci_high


def test_compare_paired_edges() -> None:
    with pytest.raises(ValueError, match="binary=True"):
        compare_paired("x", [0.5, 1.0], [1.0, 0.0], binary=True)
    with pytest.raises(ValueError, match="same shape"):
        compare_paired("x", [1.0, 0.0], [1.0])
    assert compare_paired("x", [1.0, 0, 1], [1.0, 0, 1], binary=False).test is PairedTest.PERMUTATION
    empty = compare_paired("x", [NAN], [1.0])
    assert empty.n == 0 and empty.n_failed == 1 and math.isnan(empty.diff)
    same = compare_paired("x", [1.0, 0, 1], [1.0, 0, 1])
    assert same.diff == 0 and same.p_value == 1.0 and not same.resolvable
