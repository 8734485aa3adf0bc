"""Bradley–Terry against `choix` (the reference MLE), bootstrap intervals covering the truth,
Elo online vs the BT-equivalent, and the judge-noise option widening the interval."""

from __future__ import annotations

import numpy as np
import pytest

from assay.core.pairwise import Battle, Outcome
from assay.stats.rating import ELO_SCALE, battle_arrays, bradley_terry, elo_online, fit_bradley_terry, win_probability


def simulate(strengths: dict[str, float], n: int, seed: int, tie_rate: float = 0.0) -> list[Battle]:
    rng = np.random.default_rng(seed)
    names = list(strengths)
    out = []
    for k in range(n):
        a, b = rng.choice(len(names), 2, replace=False)
        p = 1 / (1 + np.exp(-(strengths[names[a]] - strengths[names[b]])))
        u = rng.random()
        outcome = Outcome.TIE if u < tie_rate else (Outcome.FIRST if rng.random() < p else Outcome.SECOND)
        out.append(Battle(f"i{k}", names[a], names[b], outcome))
    return out


TRUE = {"m0": 0.0, "m1": 0.5, "m2": 1.0, "m3": 1.6, "m4": -0.7}


def test_mle_equals_choix_opt_pairwise() -> None:
    choix = pytest.importorskip("choix")
    battles = simulate(TRUE, 600, seed=1)
    arrays = battle_arrays(battles)
    ours = fit_bradley_terry(len(arrays.models), arrays.first, arrays.second, arrays.score)
    data = [(f, s) if sc == 1 else (s, f) for f, s, sc in zip(arrays.first, arrays.second, arrays.score)]
    theirs = choix.opt_pairwise(len(arrays.models), data, alpha=1e-6)
    np.testing.assert_allclose(ours, theirs - theirs.mean(), atol=1e-4)


def test_ratings_recover_the_order_and_intervals_cover_the_truth() -> None:
    battles = simulate(TRUE, 1500, seed=2)
    ratings = bradley_terry(battles, n_boot=100, seed=0)
    assert [r["model"] for r in ratings.ranked()] == ["m3", "m2", "m1", "m0", "m4"]
    truth = 1000 + ELO_SCALE * (np.array([TRUE[m] for m in ratings.models]) - np.mean(list(TRUE.values())))
    covered = (np.array(ratings.ci_low) <= truth) & (truth <= np.array(ratings.ci_high))
    assert covered.sum() >= 4  # 95% intervals: at most one of five may miss by chance
    assert all(lo < r < hi for r, lo, hi in zip(ratings.rating, ratings.ci_low, ratings.ci_high))


def test_elo_online_ends_near_the_bt_equivalent_and_predicts_wins() -> None:
    battles = simulate({"a": 0.0, "b": 1.0}, 3000, seed=3)
    online = elo_online(battles)
    bt = bradley_terry(battles, n_boot=0)
    gap_bt = bt.rating[bt.models.index("b")] - bt.rating[bt.models.index("a")]
    assert online["b"] - online["a"] == pytest.approx(gap_bt, abs=60)  # K = 4 keeps it noisy
    assert win_probability(1400, 1000) == pytest.approx(10 / 11)


def test_judge_noise_widens_the_interval_by_the_judges_order_flips() -> None:
    rng = np.random.default_rng(4)
    battles = []
    for k in range(300):  # each item judged in both orders; the judge flips 40% of the time
        better = rng.random() < 0.65
        stable = Outcome.FIRST if better else Outcome.SECOND
        second_order = (Outcome.SECOND if better else Outcome.FIRST) if rng.random() > 0.4 else (
            Outcome.FIRST if better else Outcome.SECOND)
        battles += [Battle(f"i{k}", "x", "y", stable), Battle(f"i{k}", "y", "x", second_order)]
    plain = bradley_terry(battles, n_boot=150, seed=0)
    noisy = bradley_terry(battles, n_boot=150, seed=0, judge_noise=True)
    width = lambda r: r.ci_high[0] - r.ci_low[0]  # noqa: E731
    assert width(noisy) > 1.2 * width(plain)
    assert "judge noise" in noisy.method


def test_a_model_that_won_every_battle_stays_finite_and_matches_choix() -> None:
    choix = pytest.importorskip("choix")
    battles = [Battle(f"i{k}", "top", "mid", Outcome.FIRST) for k in range(5)] + simulate({"mid": 0, "low": -1}, 40, 5)
    arrays = battle_arrays(battles)
    ours = fit_bradley_terry(len(arrays.models), arrays.first, arrays.second, arrays.score, alpha=0.01)
    data = [(f, s) if sc == 1 else (s, f) for f, s, sc in zip(arrays.first, arrays.second, arrays.score)]
    theirs = choix.opt_pairwise(len(arrays.models), data, alpha=0.01)
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, theirs - theirs.mean(), atol=1e-4)
