"""DINA (issue 13, *From Scores to Skills*): EM recovers simulated slips, guesses and profiles."""

from __future__ import annotations

import numpy as np
import pytest

from assay.stats.cdm import fit_dina, mastery_intervals, simulate_dina

Q = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]] * 5, float)


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(0)
    profiles = rng.integers(0, 2, (300, 3)).astype(float)
    slip, guess = rng.uniform(0.05, 0.2, len(Q)), rng.uniform(0.05, 0.25, len(Q))
    return profiles, slip, guess, simulate_dina(Q, profiles, slip, guess, 1)


def test_dina_recovers_item_parameters_and_profiles(simulated) -> None:
    profiles, slip, guess, y = simulated
    fit = fit_dina(y, Q)
    assert np.mean(np.abs(fit.slip - slip)) < 0.04 and np.mean(np.abs(fit.guess - guess)) < 0.04
    assert np.mean((fit.mastery > 0.5) == profiles) > 0.97


def test_missing_responses_and_a_single_row(simulated) -> None:
    profiles, _, _, y = simulated
    holey = y.copy()
    holey[np.random.default_rng(2).random(y.shape) < 0.3] = np.nan
    assert np.mean((fit_dina(holey, Q).mastery > 0.5) == profiles) > 0.9
    one = fit_dina(y[:1], Q)  # one model: slip and guess shared by the items
    assert one.shared_item_parameters and np.allclose(one.slip, one.slip[0])


def test_mastery_intervals_contain_the_estimate_and_narrow_with_items(simulated) -> None:
    _, _, _, y = simulated
    fit = fit_dina(y, Q)
    low, high = mastery_intervals(fit, Q, y[:20], n_boot=100)
    m = fit.mastery[:20]
    assert np.all(low <= m + 1e-9) and np.all(m <= high + 1e-9)


def test_bad_q_matrix_is_refused(simulated) -> None:
    y = simulated[3]
    with pytest.raises(ValueError, match="at least one skill"):
        fit_dina(y, np.vstack([Q[:-1], [[0, 0, 0]]]))
    with pytest.raises(ValueError, match="n_items x n_skills"):
        fit_dina(y, Q[:5])
