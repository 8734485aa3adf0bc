"""Statistics of a checkpoint series: ability curves, neighbour tests, the stability gap and
benchmark signal quality (E2LM).

Every function takes a score matrix `scores` of shape (n_checkpoints, n_items): row k holds
checkpoint k's per-item scores on the *same* items, in step order, with `steps` (shape
(n_checkpoints,), strictly increasing). Pairing rows item by item is what lets a test tell a
real change between checkpoints from item-sampling noise.

- `ability_curve`: each checkpoint's mean with a pointwise interval (Wilson for 0/1 scores,
  t otherwise).
- `neighbour_tests`: checkpoint k+1 against k on the same items (exact McNemar for 0/1
  scores, paired t otherwise), Holm-corrected along the curve.
- `stability_gap`: after a marked domain shift (Guo et al. 2024, *Efficient Continual
  Pre-training by Mitigating the Stability Gap*; De Lange et al. 2023), the drop below the
  last pre-shift checkpoint, how long it lasts and where it recovers, each with a bootstrap
  interval over items; a drop is reported only when the paired test against the pre-shift
  checkpoint, Holm-corrected over the post-shift checkpoints, rejects "no change".
- `signal_quality`: the E2LM criteria: monotonicity (Spearman of score against step),
  signal-to-noise (spread of the curve against the bootstrap noise of one checkpoint), rank
  consistency of early checkpoints with the final ranking across runs (Kendall tau), and the
  earliest step from which the task stays above chance.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np
from scipy import stats as sps

from assay.stats._checks import RandomState, as_generator, check_confidence
from assay.stats.intervals import mean_ci, wilson
from assay.stats.multiple import holm
from assay.stats.paired import mcnemar_exact


def _matrix(scores: Sequence[Sequence[float]] | np.ndarray, steps: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(scores, float)
    s = np.asarray(steps, float)
    if m.ndim != 2 or m.shape[0] == 0 or m.shape[1] == 0:
        raise ValueError("scores must be a non-empty (n_checkpoints, n_items) matrix")
    if s.shape != (m.shape[0],):
        raise ValueError(f"steps has {s.size} values for {m.shape[0]} checkpoints")
    if np.any(np.diff(s) <= 0):
        raise ValueError("steps must increase strictly")
    if np.isnan(m).any():
        raise ValueError("scores hold NaN: every checkpoint needs a score on every item")
    return m, s


def _binary(m: np.ndarray) -> bool:
    return bool(np.isin(m, (0.0, 1.0)).all())


@dataclass(frozen=True)
class CurvePoint:
    """One checkpoint's mean score with its pointwise interval."""

    step: float
    mean: float
    ci_low: float
    ci_high: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ability_curve(scores: np.ndarray, steps: Sequence[float], confidence: float = 0.95) -> list[CurvePoint]:
    """Each checkpoint's mean with a pointwise `confidence` interval: Wilson for 0/1 scores
    (good coverage near 0 and 1, where early checkpoints sit), Student t otherwise."""
    m, s = _matrix(scores, steps)
    check_confidence(confidence)
    binary = _binary(m)
    out = []
    for step, row in zip(s, m):
        iv = wilson(int(row.sum()), row.size, confidence) if binary else mean_ci(row, confidence)
        out.append(CurvePoint(float(step), float(row.mean()), float(iv.low), float(iv.high), row.size))
    return out


@dataclass(frozen=True)
class NeighbourTest:
    """Checkpoint `step` against the one before (`prev_step`) on the same items."""

    prev_step: float
    step: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    p_holm: float
    test: str

    @property
    def changed(self) -> bool:
        return self.p_holm < 0.05

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "changed": self.changed}


def _paired_p(a: np.ndarray, b: np.ndarray) -> tuple[float, str]:
    if _binary(a) and _binary(b):
        return mcnemar_exact(a, b).p_value, "mcnemar-exact"
    d = a - b
    if np.allclose(d, 0):
        return 1.0, "paired-t"
    return float(sps.ttest_1samp(d, 0.0).pvalue), "paired-t"


def neighbour_tests(scores: np.ndarray, steps: Sequence[float], confidence: float = 0.95) -> list[NeighbourTest]:
    """Did the score really change between neighbouring checkpoints? One paired test per
    neighbour pair, Holm-corrected over the whole curve."""
    m, s = _matrix(scores, steps)
    raw = []
    for k in range(1, m.shape[0]):
        d = m[k] - m[k - 1]
        iv = mean_ci(d, confidence)
        p, test = _paired_p(m[k], m[k - 1])
        raw.append((float(s[k - 1]), float(s[k]), float(d.mean()), iv.low, iv.high, p, test))
    if not raw:
        return []
    adjusted = holm([r[5] for r in raw], 1 - confidence).adjusted
    return [NeighbourTest(a, b, d, lo, hi, p, float(q), t) for (a, b, d, lo, hi, p, t), q in zip(raw, adjusted)]


@dataclass(frozen=True)
class Estimate:
    """A value with a bootstrap percentile interval (NaN bounds when it cannot be had)."""

    value: float
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class StabilityGap:
    """The drop after a domain shift at `shift_step`, measured from the last checkpoint at or
    before the shift (`baseline_step`).

    `found` is True only when the deepest post-shift checkpoint is below the baseline by a
    paired test that survives Holm's correction over every post-shift checkpoint. `depth` is
    baseline minus trough score; `duration` the steps from the shift until the score first
    regains the baseline after the trough (`recovery_step`); both are NaN and `recovered`
    False when it never does within the series. Intervals are percentile bootstraps over
    items (the whole detection is redone on each resample); `recovered_share` is the share
    of resamples in which the score recovered.
    """

    shift_step: float
    baseline_step: float
    baseline: float
    trough_step: float
    trough: float
    found: bool
    p_value: float
    depth: Estimate
    duration: Estimate
    recovery_step: Estimate
    recovered: bool
    recovered_share: float
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _gap_shape(means: np.ndarray, s: np.ndarray, base: int) -> tuple[int, float, float]:
    """(trough index, depth, recovery step or NaN) of one curve."""
    post = np.arange(base + 1, means.size)
    trough = int(post[np.argmin(means[post])])
    depth = float(means[base] - means[trough])
    back = [k for k in range(trough + 1, means.size) if means[k] >= means[base]]
    return trough, depth, (float(s[back[0]]) if back else math.nan)


def stability_gap(scores: np.ndarray, steps: Sequence[float], shift_step: float, confidence: float = 0.95,
                  n_boot: int = 1000, rng: RandomState = 0) -> StabilityGap:
    """Detect the stability gap after `shift_step` (see `StabilityGap`). Needs a checkpoint
    at or before the shift and at least one after it."""
    m, s = _matrix(scores, steps)
    alpha = 1 - check_confidence(confidence)
    before = np.flatnonzero(s <= shift_step)
    if before.size == 0 or before[-1] == s.size - 1:
        raise ValueError(f"the shift at step {shift_step:g} needs a checkpoint at or before it and one after it")
    base = int(before[-1])
    means = m.mean(axis=1)
    trough, depth, recovery = _gap_shape(means, s, base)
    post = list(range(base + 1, s.size))
    # one-sided evidence of a drop at each post-shift checkpoint, then Holm over them: the
    # trough is the minimum of several noisy means, so testing it alone would be biased
    ps = []
    for k in post:
        p, _ = _paired_p(m[k], m[base])
        ps.append(p if means[k] < means[base] else 1.0)
    adjusted = holm(ps, alpha).adjusted
    p_trough = float(adjusted[post.index(trough)])
    found = bool(depth > 0 and p_trough < alpha)
    gen = as_generator(rng)
    n = m.shape[1]
    depths, recs = np.empty(n_boot), np.empty(n_boot)
    for b in range(n_boot):
        idx = gen.integers(0, n, n)
        _, depths[b], recs[b] = _gap_shape(m[:, idx].mean(axis=1), s, base)
    q = (alpha / 2 * 100, (1 - alpha / 2) * 100)
    dep = Estimate(depth, *map(float, np.percentile(depths, q)))
    got = recs[~np.isnan(recs)]
    if got.size and not math.isnan(recovery):
        rec = Estimate(recovery, *map(float, np.percentile(got, q)))
        dur = Estimate(recovery - shift_step, rec.ci_low - shift_step, rec.ci_high - shift_step)
    else:
        rec = Estimate(recovery, math.nan, math.nan)
        dur = Estimate(math.nan, math.nan, math.nan)
    return StabilityGap(float(shift_step), float(s[base]), float(means[base]), float(s[trough]), float(means[trough]),
                        found, p_trough, dep, dur, rec, not math.isnan(recovery), float(got.size / n_boot),
                        confidence)


@dataclass(frozen=True)
class SignalQuality:
    """E2LM's criteria for one task (and formulation) over one or more runs.

    `monotonicity`: mean over runs of Spearman's rho between step and score. `snr`: the
    spread of each run's curve (std of checkpoint means) over the within-checkpoint noise
    (mean bootstrap/standard error of one checkpoint's mean), averaged over runs.
    `kendall_tau`: mean Kendall tau between the runs' ranking at each early checkpoint (at
    most `early_fraction` of the last step) and their final ranking; NaN with fewer than 3
    runs. `earliest_step`: the first step from which every later checkpoint's lower bound
    is above `chance` (the earliest over runs, NaN if never); `separated_runs` how many runs
    separate at all.
    """

    monotonicity: float
    snr: float
    kendall_tau: float
    earliest_step: float
    separated_runs: int
    n_runs: int
    chance: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _earliest_above(curve: list[CurvePoint], chance: float) -> float:
    above = [p.ci_low > chance for p in curve]
    for k in range(len(above)):
        if all(above[k:]):
            return curve[k].step
    return math.nan


def signal_quality(runs: Sequence[np.ndarray], steps: Sequence[float], chance: float, confidence: float = 0.95,
                   early_fraction: float = 0.3) -> SignalQuality:
    """E2LM signal quality of one task from `runs`: a list of (n_checkpoints, n_items)
    matrices on the same items and the same `steps` (several model sizes or seeds)."""
    if not runs:
        raise ValueError("signal_quality needs at least one run")
    mats = [_matrix(r, steps)[0] for r in runs]
    s = np.asarray(steps, float)
    rhos, snrs, earliest = [], [], []
    for m in mats:
        means = m.mean(axis=1)
        rho = sps.spearmanr(s, means).statistic if np.ptp(means) > 0 else 0.0
        rhos.append(float(rho))
        noise = float(np.mean(m.std(axis=1, ddof=1) / math.sqrt(m.shape[1]))) if m.shape[1] > 1 else math.nan
        snrs.append(float(np.std(means, ddof=1) / noise) if noise > 0 and means.size > 1 else math.nan)
        earliest.append(_earliest_above(ability_curve(m, s, confidence), chance))
    tau = math.nan
    if len(mats) >= 3:
        final = np.array([m[-1].mean() for m in mats])
        early = np.flatnonzero(s <= s[-1] * early_fraction)
        taus = []
        for k in early:
            now = np.array([m[k].mean() for m in mats])
            if np.ptp(now) > 0 and np.ptp(final) > 0:
                taus.append(float(sps.kendalltau(now, final).statistic))
            else:
                taus.append(0.0)
        tau = float(np.mean(taus)) if taus else math.nan
    sep = [e for e in earliest if not math.isnan(e)]
    return SignalQuality(float(np.mean(rhos)), float(np.nanmean(snrs)) if not all(map(math.isnan, snrs)) else math.nan,
                         tau, float(min(sep)) if sep else math.nan, len(sep), len(mats), float(chance))
