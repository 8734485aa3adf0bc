"""PassUntil (issue 13, *Unlock Predictable Scaling*): pass rates far below 1/n_items are
recovered, without bias, with intervals that cover, on items of known tiny pass rate."""

from __future__ import annotations

import numpy as np
import pytest

from assay.stats.passuntil import pass_rate_haldane, pass_rate_pooled, sample_until_pass


def test_a_rate_far_below_one_over_n_items_is_recovered_with_coverage() -> None:
    true = 2e-4  # 50 items: 1/n = 2e-2, a hundred times larger
    covered, estimates = [], []
    for seed in range(200):
        passes, draws = sample_until_pass(np.full(50, true), r=1, budget=20_000, rng=seed)
        est = pass_rate_pooled(passes, draws)
        covered.append(est.ci_low <= true <= est.ci_high)
        estimates.append(est.rate)
    assert 0.92 <= np.mean(covered) <= 0.99
    assert abs(np.mean(estimates) / true - 1) < 0.05  # unbiased to within simulation error


def test_haldane_is_unbiased_for_heterogeneous_items() -> None:
    rng = np.random.default_rng(0)
    rates = rng.uniform(1e-4, 1e-3, 40)
    means, covered = [], []
    for seed in range(200):
        passes, draws = sample_until_pass(rates, r=3, budget=10**7, rng=seed)
        est = pass_rate_haldane(passes, draws, r=3, budget=10**7)
        means.append(est.rate)
        covered.append(est.ci_low <= rates.mean() <= est.ci_high)
    assert abs(np.mean(means) / rates.mean() - 1) < 0.03
    assert np.mean(covered) > 0.9


def test_plain_sampling_would_see_nothing() -> None:
    # the same draws spread evenly (20 per item) almost never see a pass at 2e-4
    passes, draws = sample_until_pass(np.full(50, 2e-4), r=1, budget=20, rng=1)
    assert passes.sum() == 0 and pass_rate_pooled(passes, draws).ci_high < 0.004


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        pass_rate_pooled(np.array([2]), np.array([1]))
    with pytest.raises(ValueError, match="r >= 2"):
        pass_rate_haldane(np.array([1]), np.array([5]), r=1, budget=10)
