"""assay.stats.variance: the two-way random-effects split of an (items x runs) matrix."""

from __future__ import annotations

import numpy as np
import pytest

from assay.stats import decompose_variance


def _simulate(
    rng: np.random.Generator, n: int, runs: int, item_sd: float, run_sd: float, noise_sd: float
) -> np.ndarray:
    """Item effect + run effect + noise, all normal: the model decompose_variance assumes."""
    return rng.normal(0, item_sd, (n, 1)) + rng.normal(0, run_sd, (1, runs)) + rng.normal(0, noise_sd, (n, runs))


def test_recovers_known_components() -> None:
    rng = np.random.default_rng(0)
    dec = decompose_variance(_simulate(rng, 4000, 40, item_sd=0.5, run_sd=0.2, noise_sd=0.3))
    assert dec.item_variance == pytest.approx(0.25, rel=0.08)
    assert dec.run_variance == pytest.approx(0.04, rel=0.35)  # only 40 runs inform it
    assert dec.residual_variance == pytest.approx(0.09, rel=0.03)
    assert dec.within_item_variance == pytest.approx(0.04 + 0.09, rel=0.15)
    assert (dec.n_items, dec.n_runs) == (4000, 40)


def test_identities() -> None:
    y = _simulate(np.random.default_rng(1), 30, 4, 1.0, 0.1, 0.5)
    dec = decompose_variance(y)
    assert dec.mean == pytest.approx(y.mean())
    assert dec.within_item_variance == pytest.approx(np.mean(np.var(y, axis=1, ddof=1)))
    assert dec.between_run_variance == pytest.approx(np.var(y.mean(axis=0), ddof=1))
    assert dec.stderr_items_fixed == pytest.approx(np.sqrt(dec.between_run_variance / 4))
    assert 0 <= dec.run_share <= 1
    assert set(dec.to_dict()) >= {"within_item_variance", "between_run_variance", "stderr"}


def test_stderr_matches_the_spread_of_repeated_experiments() -> None:
    """Redraw items and runs 2,000 times: the sd of the grand mean matches the stderr."""
    rng = np.random.default_rng(2)
    means, errs = [], []
    for _ in range(2000):
        dec = decompose_variance(_simulate(rng, 50, 5, item_sd=0.4, run_sd=0.1, noise_sd=0.5))
        means.append(dec.mean)
        errs.append(dec.stderr**2)
    assert np.sqrt(np.mean(errs)) == pytest.approx(np.std(means), rel=0.06)


def test_shape_errors() -> None:
    with pytest.raises(ValueError, match="at least 2 items and 2 runs"):
        decompose_variance(np.zeros((10, 1)))
    with pytest.raises(ValueError, match="2-D"):
        decompose_variance(np.zeros(10))
