"""IRT calibration (issue 13): recovers simulated parameters, agrees with girth, honest SEs,
item and person fit flag what they should."""

from __future__ import annotations

import numpy as np
import pytest

from assay.stats.irt import (
    IRTModel,
    IRTPriors,
    ItemParameters,
    fit_irt,
    item_fit,
    item_information,
    simulate_responses,
    test_information,
)
from assay.stats.irt_scoring import PERSON_MISFIT_LZ, estimate_ability, person_fit_lz


@pytest.fixture(scope="module")
def two_pl_data():
    rng = np.random.default_rng(7)
    j = 25
    truth = ItemParameters(rng.lognormal(0.0, 0.3, j), rng.normal(0.0, 1.0, j), np.zeros(j))
    theta = rng.normal(0.0, 1.0, 1200)
    return truth, theta, simulate_responses(truth, theta, 8)


@pytest.fixture(scope="module")
def two_pl_fit(two_pl_data):
    return fit_irt(two_pl_data[2], IRTModel.TWO_PL, priors=IRTPriors.none())


def test_2pl_recovers_simulated_parameters(two_pl_data, two_pl_fit) -> None:
    truth, theta, _ = two_pl_data
    p = two_pl_fit.params
    assert two_pl_fit.converged
    assert np.sqrt(np.mean((p.b - truth.b) ** 2)) < 0.15
    assert np.corrcoef(p.a, truth.a)[0, 1] > 0.9
    assert np.corrcoef(two_pl_fit.theta, theta)[0, 1] > 0.85  # 25 items: reliability about 0.8


def test_2pl_standard_errors_match_the_actual_errors(two_pl_data, two_pl_fit) -> None:
    truth = two_pl_data[0]
    p = two_pl_fit.params
    z_b = (p.b - truth.b) / p.se_b
    z_a = (p.a - truth.a) / p.se_a
    # 25 items: the z-scores' SD is near 1 when the SEs are right (not 0.5, not 2)
    assert 0.6 < z_b.std() < 1.5 and 0.6 < z_a.std() < 1.5


def test_2pl_agrees_with_girth(two_pl_data, two_pl_fit) -> None:
    girth = pytest.importorskip("girth")
    ref = girth.twopl_mml(two_pl_data[2].T.astype(int))
    assert np.max(np.abs(ref["Discrimination"] - two_pl_fit.params.a)) < 0.03
    assert np.max(np.abs(ref["Difficulty"] - two_pl_fit.params.b)) < 0.05


def test_1pl_agrees_with_girth(two_pl_data) -> None:
    girth = pytest.importorskip("girth")
    y = two_pl_data[2][:600]
    ours = fit_irt(y, IRTModel.ONE_PL, priors=IRTPriors.none(), standard_errors=False)
    ref = girth.onepl_mml(y.T.astype(int))
    assert abs(float(np.atleast_1d(ref["Discrimination"])[0]) - ours.params.a[0]) < 0.03
    assert np.max(np.abs(ref["Difficulty"] - ours.params.b)) < 0.05


def test_3pl_recovers_guessing() -> None:
    rng = np.random.default_rng(3)
    j = 15
    truth = ItemParameters(rng.uniform(1.2, 2.2, j), rng.normal(0.3, 0.8, j), rng.uniform(0.1, 0.3, j))
    y = simulate_responses(truth, rng.normal(0, 1, 2500), 4)
    fit = fit_irt(y, "3pl", priors=IRTPriors(c_alpha=5, c_beta=17), standard_errors=False)
    assert np.mean(np.abs(fit.params.c - truth.c)) < 0.07
    assert np.sqrt(np.mean((fit.params.b - truth.b) ** 2)) < 0.3


def test_missing_cells_are_ignored_not_counted_wrong(two_pl_data) -> None:
    truth, _, y = two_pl_data
    holey = y[:800].copy()
    holey[np.random.default_rng(1).random(holey.shape) < 0.3] = np.nan
    fit = fit_irt(holey, "2pl", standard_errors=False)
    assert np.sqrt(np.mean((fit.params.b - truth.b) ** 2)) < 0.25  # no drift towards "hard"


def test_items_nobody_solved_stay_finite() -> None:
    y = np.random.default_rng(0).integers(0, 2, (40, 6)).astype(float)
    y[:, 0] = 0.0
    y[:, 1] = 1.0
    fit = fit_irt(y, "2pl")
    assert np.all(np.isfinite(fit.params.b)) and fit.params.b[0] > 2 and fit.params.b[1] < -2


def test_bad_matrices_are_refused() -> None:
    with pytest.raises(ValueError, match="1, 0 or NaN"):
        fit_irt(np.array([[1, 2], [0, 1]]))
    with pytest.raises(ValueError, match="at least 2 rows"):
        fit_irt(np.array([[1, 0]]))


def test_item_fit_flags_an_item_that_runs_backwards(two_pl_data, two_pl_fit) -> None:
    y = two_pl_data[2].copy()
    y[:, 3] = 1 - y[:, 3]  # the strong rows now fail it: a misfitting item
    fit = fit_irt(y, "2pl", standard_errors=False)
    stats = item_fit(fit, y)
    others = np.delete(np.arange(y.shape[1]), 3)
    assert np.all(np.abs(stats.infit[others] - 1) < 0.2)
    assert stats.outfit[3] > 1.3 or fit.params.a[3] < 0.2  # flagged, or fitted as non-discriminating


def test_person_fit_flags_a_reversed_pattern(two_pl_data, two_pl_fit) -> None:
    params = two_pl_fit.params
    order = np.argsort(params.b)
    fits, bad = [], np.zeros(params.n_items)
    bad[order[-10:]] = 1.0  # solves the ten hardest, fails the easy ones
    for row in two_pl_data[2][:200]:
        fits.append(person_fit_lz(params, row, estimate_ability(params, row, two_pl_fit.quadrature).theta))
    lz_bad = person_fit_lz(params, bad, estimate_ability(params, bad, two_pl_fit.quadrature).theta)
    assert lz_bad < PERSON_MISFIT_LZ
    assert np.mean(np.array(fits) < PERSON_MISFIT_LZ) < 0.1  # model-conforming rows rarely flagged
    assert abs(np.mean(fits)) < 0.5


def test_test_information_is_the_sum_of_item_information(two_pl_fit) -> None:
    grid = np.linspace(-3, 3, 7)
    total = test_information(two_pl_fit.params, grid)
    assert np.allclose(total, item_information(two_pl_fit.params, grid).sum(axis=0))
    # a 2PL item is most informative at its difficulty, where it carries a^2 / 4
    one = two_pl_fit.params.subset(np.array([0]))
    at_b = item_information(one, one.b)[0, 0]
    assert at_b == pytest.approx(one.a[0] ** 2 / 4)
