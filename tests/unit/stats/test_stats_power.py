"""assay.stats.power: agreement with statsmodels' power classes, and power at the MDD by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.power import NormalIndPower, TTestIndPower, TTestPower

from assay.stats import (
    Design,
    minimum_detectable_difference,
    minimum_detectable_difference_binomial,
    minimum_detectable_difference_from_stderr,
    power_of_test,
    required_n,
    required_n_binomial,
)


@pytest.mark.parametrize("n", [5, 30, 200, 2000])
@pytest.mark.parametrize(("alpha", "power"), [(0.05, 0.8), (0.01, 0.9)])
def test_mdd_matches_statsmodels_t_tests(n: int, alpha: float, power: float) -> None:
    sd = 0.7
    paired = TTestPower().solve_power(nobs=n, alpha=alpha, power=power) * sd
    unpaired = TTestIndPower().solve_power(nobs1=n, alpha=alpha, power=power, ratio=1) * sd
    # statsmodels' solver stops at ~1e-5 relative; ours solves to 1e-12 (its power is 0.8 exactly)
    assert minimum_detectable_difference(n, sd**2, Design.PAIRED, alpha, power) == pytest.approx(paired, rel=1e-4)
    assert minimum_detectable_difference(n, sd**2, Design.UNPAIRED, alpha, power) == pytest.approx(unpaired, rel=1e-4)
    assert TTestPower().power(minimum_detectable_difference(n, 1.0, Design.PAIRED, alpha, power), n, alpha) == (
        pytest.approx(power, abs=1e-9))


@pytest.mark.parametrize(("difference", "variance"), [(0.05, 0.2), (0.5, 4.0), (0.02, 0.09)])
def test_required_n_is_the_ceiling_of_statsmodels(difference: float, variance: float) -> None:
    effect = difference / math.sqrt(variance)
    paired = TTestPower().solve_power(effect_size=effect, alpha=0.05, power=0.8)
    unpaired = TTestIndPower().solve_power(effect_size=effect, alpha=0.05, power=0.8)
    assert required_n(difference, variance) == math.ceil(paired)
    assert required_n(difference, variance, Design.UNPAIRED) == math.ceil(unpaired)


def test_binomial_matches_normal_ind_power() -> None:
    for p1, p2 in [(0.6, 0.7), (0.1, 0.15), (0.5, 0.52)]:
        h = abs(2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2)))
        assert required_n_binomial(p1, p2) == math.ceil(NormalIndPower().solve_power(h, alpha=0.05, power=0.8))
    for n, p in [(100, 0.5), (1000, 0.8), (50, 0.05)]:
        d = minimum_detectable_difference_binomial(n, p)
        h = 2 * math.asin(math.sqrt(p + d)) - 2 * math.asin(math.sqrt(p))
        assert NormalIndPower().power(h, n, 0.05) == pytest.approx(0.8, abs=1e-9)


def test_binomial_mdd_near_the_ceiling_goes_down() -> None:
    d = minimum_detectable_difference_binomial(20, 0.99)
    assert 0 < d < 0.99
    assert math.isnan(minimum_detectable_difference_binomial(0, 0.5))


def test_power_at_the_mdd_is_the_target_by_simulation() -> None:
    """Simulate paired t tests whose true difference is the MDD: ~80% reject."""
    rng = np.random.default_rng(12)
    n, sd = 30, 0.4
    mdd = minimum_detectable_difference(n, sd**2)
    diffs = rng.normal(mdd, sd, size=(4000, n))
    rejected = np.mean(sps.ttest_1samp(diffs, 0.0, axis=1).pvalue < 0.05)
    assert 0.77 <= rejected <= 0.83, rejected


def test_edges_and_errors() -> None:
    assert math.isnan(minimum_detectable_difference(1, 1.0))
    assert minimum_detectable_difference(10, 0.0) == 0.0
    assert required_n(0.1, 0.0) == 2
    assert power_of_test(0.0, None, 0.05) == pytest.approx(0.05)
    assert minimum_detectable_difference_from_stderr(0.1) == pytest.approx(
        (sps.norm.ppf(0.975) + sps.norm.ppf(0.8)) * 0.1, rel=1e-3)
    with pytest.raises(ValueError, match="non-zero"):
        required_n(0.0, 1.0)
    with pytest.raises(ValueError, match="must exceed alpha"):
        minimum_detectable_difference(30, 1.0, power=0.04)
    with pytest.raises(ValueError, match="non-negative"):
        minimum_detectable_difference(30, -1.0)
    with pytest.raises(ValueError, match="equal"):
        required_n_binomial(0.5, 0.5)
    assert required_n(0.1, 1.0, power=0.9) > required_n(0.1, 1.0, power=0.8) > required_n(0.2, 1.0)
