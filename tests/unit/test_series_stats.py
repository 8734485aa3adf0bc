"""Statistics of checkpoint series on planted curves (issue 20): a known stability gap is
found with its depth and recovery inside their intervals, flat noise is never flagged, a
monotonic signal is detected, and the scaling laws recover planted parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assay.analyses.series.predict import observations, predict_score
from assay.stats.scaling_law import fit_cod_curve, fit_passuntil_law, naive_extrapolation
from assay.stats.series import ability_curve, neighbour_tests, signal_quality, stability_gap

STEPS = [0, 100, 200, 300, 400, 500, 600, 650, 700, 800, 900, 1000]


def _planted(rates: list[float], n: int = 400, seed: int = 0, shared: bool = True) -> np.ndarray:
    """0/1 item scores with the planted per-checkpoint rates; `shared` items keep their
    difficulty across checkpoints (as a real series's items do), so pairing matters."""
    rng = np.random.default_rng(seed)
    u = rng.random(n) if shared else None
    rows = []
    for r in rates:
        draw = u if shared else rng.random(n)
        rows.append((draw < r).astype(float))
    return np.array(rows)


def test_a_planted_stability_gap_is_found_with_its_depth_and_recovery() -> None:
    # the Guo et al. 2024 shape: steady before the shift at 600, a drop of 0.20, recovery by 900
    rates = [0.25, 0.35, 0.45, 0.55, 0.60, 0.62, 0.64, 0.44, 0.50, 0.58, 0.66, 0.68]
    m = _planted(rates, n=400, seed=1, shared=False)
    gap = stability_gap(m, STEPS, shift_step=600, n_boot=200, rng=0)
    assert gap.found
    assert gap.baseline_step == 600 and gap.trough_step == 650
    assert gap.depth.ci_low <= 0.20 <= gap.depth.ci_high
    assert gap.depth.ci_low > 0.05
    assert gap.recovered and gap.recovery_step.value in (900, 1000)
    assert gap.duration.value == gap.recovery_step.value - 600
    assert gap.recovery_step.ci_low <= gap.recovery_step.value <= gap.recovery_step.ci_high


@pytest.mark.parametrize("seed", range(8))
def test_flat_noise_after_a_shift_is_never_flagged(seed: int) -> None:
    # every checkpoint has the same true rate: any dip is item-sampling noise
    m = _planted([0.5] * len(STEPS), n=200, seed=seed, shared=False)
    gap = stability_gap(m, STEPS, shift_step=600, n_boot=50, rng=seed)
    assert not gap.found, (seed, gap.p_value, gap.depth)


def test_a_drop_the_paired_test_cannot_resolve_is_not_a_gap() -> None:
    # a real but tiny drop (2 points) on 60 items: the paired test cannot tell it from noise
    rates = [0.5] * 7 + [0.48, 0.5, 0.5, 0.5, 0.5]
    m = _planted(rates, n=60, seed=3)
    assert not stability_gap(m, STEPS, 600, n_boot=50).found


def test_ability_curve_intervals_cover_the_planted_rates() -> None:
    rates = np.linspace(0.25, 0.9, len(STEPS))
    m = _planted(list(rates), n=300, seed=2, shared=False)
    curve = ability_curve(m, STEPS)
    covered = [p.ci_low <= r <= p.ci_high for p, r in zip(curve, rates)]
    assert sum(covered) >= len(STEPS) - 1
    assert all(p.n == 300 for p in curve)


def test_neighbour_tests_separate_a_real_jump_from_a_flat_stretch() -> None:
    rates = [0.3, 0.3, 0.3, 0.7, 0.7, 0.7]
    m = _planted(rates, n=200, seed=4)
    tests = neighbour_tests(m, [0, 1, 2, 3, 4, 5])
    assert [t.changed for t in tests] == [False, False, True, False, False]
    assert tests[2].test == "mcnemar-exact" and tests[2].ci_low > 0.3


def test_signal_quality_detects_a_monotonic_signal_and_not_flat_noise() -> None:
    steps = list(range(0, 1100, 100))
    rising = [_planted(list(np.linspace(0.25, 0.25 + d, 11)), n=200, seed=s, shared=False)
              for s, d in ((0, 0.3), (1, 0.45), (2, 0.6))]
    flat = [_planted([0.25] * 11, n=200, seed=10 + s, shared=False) for s in range(3)]
    good = signal_quality(rising, steps, chance=0.25)
    bad = signal_quality(flat, steps, chance=0.25)
    assert good.monotonicity > 0.8 and bad.monotonicity < 0.5
    assert good.snr > 3 * bad.snr
    assert not math.isnan(good.earliest_step) and good.earliest_step <= 500
    assert math.isnan(bad.earliest_step) or bad.separated_runs < 3
    # the three runs' final order (by planted slope) is visible from the early checkpoints
    assert good.kendall_tau > 0


def test_signal_quality_needs_three_runs_for_rank_consistency() -> None:
    m = _planted([0.3, 0.5, 0.7], n=50)
    q = signal_quality([m], [1, 2, 3], chance=0.25)
    assert math.isnan(q.kendall_tau) and q.n_runs == 1


def test_steps_must_increase() -> None:
    with pytest.raises(ValueError, match="increase"):
        ability_curve(np.ones((2, 3)), [5, 5])


def test_passuntil_law_recovers_planted_parameters() -> None:
    # Hu et al. 2024: -log PU = c * N^-alpha
    n = np.array([1e6, 3e6, 1e7, 3e7, 1e8])
    pu = np.exp(-40.0 * n ** -0.3)
    law = fit_passuntil_law(n, pu)
    assert law.alpha == pytest.approx(0.3, rel=1e-6) and law.c == pytest.approx(40.0, rel=1e-6)
    assert float(law.predict(1e9)) == pytest.approx(math.exp(-40.0 * 1e9 ** -0.3), rel=1e-6)


def test_cod_curve_fits_a_planted_cluster() -> None:
    x = np.array([1e15, 3e15, 1e16, 3e16, 1e17])
    y = 0.25 + 0.75 * np.exp(-2e5 * x ** -0.35 - 0.05)
    curve = fit_cod_curve(x, y, chance=0.25)
    assert curve is not None and curve.rmse < 1e-3
    assert float(curve.predict(3e17)) == pytest.approx(0.25 + 0.75 * math.exp(-2e5 * 3e17 ** -0.35 - 0.05), abs=0.01)


def test_naive_extrapolation_is_the_line_through_the_last_two_points() -> None:
    assert naive_extrapolation([1, 10, 100], [0.1, 0.2, 0.3], 1000) == pytest.approx(0.4)


def test_cod_and_passuntil_predictions_beat_naive_on_a_planted_saturating_task() -> None:
    """Items of three difficulties, each following the COD curve; the naive line through the
    last two points overshoots a saturating curve, the fitted laws do not."""
    rng = np.random.default_rng(5)
    x = np.array([1.0, 2, 4, 8, 16, 32])
    target = 128.0
    groups = [(0.2, 0.5, 70), (1.0, 0.6, 70), (4.0, 0.7, 60)]  # (a, b, items)

    def expected(xv: float) -> np.ndarray:
        return np.concatenate([np.full(k, 0.25 + 0.75 * math.exp(-a * xv ** -b)) for a, b, k in groups])

    pc = [expected(v) for v in x]
    acc = [(rng.random(pc_.size) < pc_).astype(float) for pc_ in pc]
    pp = [np.clip(p * 0.8, 1e-6, 1) for p in pc]
    obs = observations(x, acc, pc, pp, chance=0.25)
    truth = float(expected(target).mean())
    cod = predict_score(obs, target, "cod", actual=truth, n_boot=30)
    assert cod.pi_low <= cod.predicted <= cod.pi_high
    assert cod.error is not None and cod.error < 0.06
    assert cod.details["kept_items"] > 0
    pu = predict_score(obs, target, "passuntil", actual=truth, n_boot=30)
    assert pu.error is not None and pu.error < 0.1
    with pytest.raises(ValueError, match="beyond"):
        predict_score(obs, 10.0, "cod")
