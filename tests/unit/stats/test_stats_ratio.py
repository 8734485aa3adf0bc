"""Ratio-of-sums intervals for perplexity-type metrics: estimates, transforms, coverage."""

import math

import numpy as np
import pytest

from assay.core.aggregation import RatioTransform
from assay.stats.ratio import RatioMethod, ratio_of_sums_ci, summarize_ratio


def test_estimate_is_ratio_of_sums_not_mean_of_ratios() -> None:
    a = np.array([-10.0, -100.0])
    b = np.array([5.0, 20.0])
    iv = ratio_of_sums_ci(a, b, RatioTransform.EXP_NEG)
    assert iv.estimate == pytest.approx(math.exp(110 / 25))
    assert iv.estimate != pytest.approx(np.mean(np.exp(-a / b)))
    assert iv.low < iv.estimate < iv.high


def test_transform_maps_the_interval_end_to_end() -> None:
    rng = np.random.default_rng(0)
    b = rng.integers(20, 200, 30).astype(float)
    a = -b * rng.normal(2.0, 0.3, 30)
    raw = ratio_of_sums_ci(a, b)
    ppl = ratio_of_sums_ci(a, b, RatioTransform.EXP_NEG)
    bpb = ratio_of_sums_ci(a, b, RatioTransform.NEG_LOG2)
    assert ppl.low == pytest.approx(math.exp(-raw.high)) and ppl.high == pytest.approx(math.exp(-raw.low))
    assert bpb.low == pytest.approx(-raw.high / math.log(2)) and bpb.high == pytest.approx(-raw.low / math.log(2))
    assert ppl.stderr == pytest.approx(ppl.estimate * raw.stderr)


def test_delta_stderr_by_hand() -> None:
    a, b = np.array([-3.0, -5.0, -4.0]), np.array([1.0, 2.0, 2.0])
    r = -12.0 / 5.0
    resid = a - r * b  # [-0.6, -0.2, 0.8]
    se = math.sqrt((resid ** 2).sum() / (3 * 2)) / (5.0 / 3.0)
    iv = ratio_of_sums_ci(a, b)
    assert iv.estimate == pytest.approx(r) and iv.stderr == pytest.approx(se)
    assert iv.method is RatioMethod.DELTA and iv.n == 3


@pytest.mark.parametrize("method", [RatioMethod.DELTA, RatioMethod.BOOTSTRAP])
def test_interval_covers_in_simulation(method: RatioMethod) -> None:
    """Documents of varied length with per-word log-likelihoods around -2 (true R = -2 from
    the population): the 95% interval covers the true word perplexity ~95% of the time."""
    rng = np.random.default_rng(12345)
    true_ppl = math.exp(2.0)
    trials, hits = 300 if method is RatioMethod.DELTA else 120, 0
    for _ in range(trials):
        n = 40
        words = rng.integers(10, 300, n).astype(float)
        per_word = rng.normal(-2.0, 0.4, n)  # a document's mean log-prob per word
        logprob = per_word * words
        iv = ratio_of_sums_ci(logprob, words, RatioTransform.EXP_NEG, method=method, rng=rng, n_resamples=500)
        hits += iv.contains(true_ppl)
    coverage = hits / trials
    assert 0.89 <= coverage <= 0.99, coverage


def test_bootstrap_is_seeded_and_needs_a_generator() -> None:
    a, b = np.array([-3.0, -5.0, -4.0, -9.0]), np.array([1.0, 2.0, 2.0, 4.0])
    one = ratio_of_sums_ci(a, b, method=RatioMethod.BOOTSTRAP, rng=np.random.default_rng(7))
    two = ratio_of_sums_ci(a, b, method=RatioMethod.BOOTSTRAP, rng=np.random.default_rng(7))
    assert one == two
    with pytest.raises(ValueError, match="Generator"):
        ratio_of_sums_ci(a, b, method=RatioMethod.BOOTSTRAP)


def test_summary_drops_failed_documents_and_handles_one_or_none() -> None:
    s = summarize_ratio("word_perplexity", [-10.0, math.nan, -30.0], [5.0, math.nan, 10.0], RatioTransform.EXP_NEG)
    assert s.value == pytest.approx(math.exp(40 / 15)) and s.n == 2 and s.n_failed == 1 and s.method == "delta"
    single = summarize_ratio("x", [-1.0], [2.0])
    assert single.value == -0.5 and math.isnan(single.ci_low)
    none = summarize_ratio("x", [math.nan], [math.nan])
    assert math.isnan(none.value) and none.n_failed == 1 and none.method == "none"
    with pytest.raises(ValueError):
        ratio_of_sums_ci([], [])
