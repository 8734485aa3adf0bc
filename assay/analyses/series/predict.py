"""Predict a later checkpoint's or a larger model's score from earlier or smaller ones.

Input: observations at scales `x` (tokens seen, or compute 6·N·D across model sizes), each
with per-item accuracy, the probability of the correct option (`p_correct`) and the
probability of generating the correct answer (`pass_prob`) on the same items. Two methods,
each with a prediction interval from a bootstrap over items (the whole fit is redone on each
resample) and, when the truth is known, its error next to the naive extrapolation's:

- `passuntil`: the task scaling law of Hu et al. 2024: the pass rate PU (what PassUntil
  estimates by massive sampling; for log-likelihood items it is exact, the mean probability
  of the correct answer) follows -log PU = c·x^-alpha; the predicted PU is mapped to accuracy
  by a logistic link, acc = g + (1 - g)·sigmoid(a + b·log PU), fitted on the observations.
- `cod`: Clustering-On-Difficulty (Xu et al. 2025): items are clustered on their difficulty
  features (their expected accuracy at each observed scale); each cluster's mean follows
  y = g + (1 - g)·exp(-a·x^-b - c); clusters that never leave chance (non-emergent) or that
  the curve does not fit (non-scalable) are excluded; the kept clusters' score (the
  predictable subset) is extrapolated and mapped to the full task score by a linear map
  fitted on the observations. The authors cluster with an improved MeanShift that enforces a
  minimum cluster size; we use k-means with k chosen from the item count and drop clusters
  below the minimum size into the excluded set, which keeps the fit deterministic.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np
from scipy import optimize

from assay.stats._checks import RandomState, as_generator
from assay.stats.scaling_law import fit_cod_curve, fit_passuntil_law, naive_extrapolation


@dataclass(frozen=True)
class Observations:
    """Per-item results at increasing scales: all arrays (n_obs, n_items) on the same items."""

    x: np.ndarray
    acc: np.ndarray
    p_correct: np.ndarray
    pass_prob: np.ndarray
    chance: float

    def take(self, items: np.ndarray) -> "Observations":
        return Observations(self.x, self.acc[:, items], self.p_correct[:, items], self.pass_prob[:, items], self.chance)


@dataclass(frozen=True)
class Prediction:
    """One method's predicted score at `target_x` with its prediction interval, and (when
    the truth is known) the errors of it and of the naive extrapolation."""

    method: str
    target_x: float
    predicted: float
    pi_low: float
    pi_high: float
    naive: float
    actual: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def error(self) -> float | None:
        return None if self.actual is None else abs(self.predicted - self.actual)

    @property
    def naive_error(self) -> float | None:
        return None if self.actual is None else abs(self.naive - self.actual)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "error": self.error, "naive_error": self.naive_error}


def _logistic_link(pu: np.ndarray, acc: np.ndarray, chance: float):
    lp = np.log(np.clip(pu, 1e-300, 1.0))

    def f(v: np.ndarray, a: float, b: float) -> np.ndarray:
        return chance + (1 - chance) / (1 + np.exp(np.clip(-(a + b * v), -50, 50)))

    try:
        with warnings.catch_warnings():  # few points: an unestimable covariance is expected
            warnings.simplefilter("ignore", optimize.OptimizeWarning)
            # accuracy rises with the pass rate (b >= 0): a flat, noisy accuracy gets b near 0
            # instead of a spurious slope that extrapolates to 0 or 1
            (a, b), _ = optimize.curve_fit(f, lp, acc, p0=(0.0, 0.1), bounds=([-50.0, 0.0], [50.0, 5.0]),
                                           maxfev=4000)
    except (RuntimeError, ValueError):
        slope, icpt = np.polyfit(lp, acc, 1) if np.ptp(lp) > 0 else (0.0, float(acc.mean()))
        return lambda p: float(np.clip(icpt + slope * math.log(max(p, 1e-300)), 0, 1))
    return lambda p: float(f(np.array([math.log(max(p, 1e-300))]), a, b)[0])


def _passuntil_point(obs: Observations, target_x: float) -> tuple[float, dict[str, Any]]:
    pu = obs.pass_prob.mean(axis=1)
    law = fit_passuntil_law(obs.x, pu)
    pu_star = float(law.predict(target_x))
    link = _logistic_link(pu, obs.acc.mean(axis=1), obs.chance)
    return link(pu_star), {"c": law.c, "alpha": law.alpha, "r2": law.r2, "predicted_pass_rate": pu_star}


def _clusters(features: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    k = max(1, min(k, features.shape[0], len(np.unique(features.round(6), axis=0))))
    with threadpool_limits(1):  # a few hundred points: OpenMP threads only cost (30x on shared cores)
        return KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(features)


def _cod_point(obs: Observations, target_x: float, k: int, min_size: int, seed: int) -> tuple[float, dict[str, Any]]:
    labels = _clusters(obs.p_correct.T, k, seed)
    kept, excluded = [], []
    full = obs.acc.mean(axis=1)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        y = obs.p_correct[:, idx].mean(axis=1)
        reason = None
        curve = None
        if idx.size < min_size:
            reason = "small"
        elif y.max() - obs.chance < 0.02:
            reason = "non-emergent"
        else:
            curve = fit_cod_curve(obs.x, y, obs.chance)
            if curve is None or curve.rmse > 0.05:
                reason = "non-scalable"
        (excluded if reason else kept).append((idx, curve, reason))
    fallback = not kept
    if fallback:  # nothing predictable: fit the whole task as one cluster
        curve = fit_cod_curve(obs.x, obs.p_correct.mean(axis=1), obs.chance)
        if curve is None:
            raise ValueError("the COD curve does not fit this task's scores")
        kept = [(np.arange(obs.acc.shape[1]), curve, None)]
    sizes = np.array([idx.size for idx, _, _ in kept], float)
    subset_obs = sum(w * obs.p_correct[:, idx].mean(axis=1) for (idx, _, _), w in zip(kept, sizes)) / sizes.sum()
    subset_star = float(sum(w * float(c.predict(target_x)) for (_, c, _), w in zip(kept, sizes)) / sizes.sum())
    slope, icpt = np.polyfit(subset_obs, full, 1) if np.ptp(subset_obs) > 0 else (1.0, float(full.mean() - subset_obs.mean()))
    pred = float(np.clip(icpt + slope * subset_star, 0, 1))
    return pred, {"clusters": len(np.unique(labels)), "kept_clusters": len(kept) if not fallback else 0,
                  "kept_items": int(sizes.sum()), "excluded": {r: sum(1 for *_, rr in excluded if rr == r)
                                                               for r in ("small", "non-emergent", "non-scalable")},
                  "subset_predicted": subset_star, "map": [float(slope), float(icpt)], "fallback_whole_task": fallback}


def predict_score(obs: Observations, target_x: float, method: str = "cod", *, actual: float | None = None,
                  confidence: float = 0.9, n_boot: int = 200, k: int | None = None, min_size: int = 5,
                  rng: RandomState = 0) -> Prediction:
    """Predict the mean accuracy at `target_x` from `obs` with `method` ('cod' or
    'passuntil'), with a `confidence` prediction interval from `n_boot` item resamples."""
    if obs.x.size < 3:
        raise ValueError("a prediction needs at least three observed scales")
    if target_x <= obs.x.max():
        raise ValueError("the target scale must lie beyond the observed ones")
    n_items = obs.acc.shape[1]
    k = k or max(2, min(8, n_items // 15))
    seed = int(as_generator(rng).integers(0, 2**31 - 1))

    def point(o: Observations) -> tuple[float, dict[str, Any]]:
        if method == "passuntil":
            return _passuntil_point(o, target_x)
        if method == "cod":
            return _cod_point(o, target_x, k, min_size, seed)
        raise ValueError(f"unknown prediction method '{method}' (cod or passuntil)")

    pred, details = point(obs)
    gen = as_generator(seed)
    boots = []
    for _ in range(n_boot):
        try:
            boots.append(point(obs.take(gen.integers(0, n_items, n_items)))[0])
        except (ValueError, RuntimeError):
            continue
    alpha = 1 - confidence
    lo, hi = (np.percentile(boots, [alpha / 2 * 100, (1 - alpha / 2) * 100]) if len(boots) >= 10
              else (math.nan, math.nan))
    # the future score is itself a mean over n items: add its sampling spread (as seen at the
    # last observed scale) to the fit's
    from scipy.stats import norm

    z = float(norm.ppf(1 - alpha / 2))
    spread = z * float(obs.acc[-1].std(ddof=1)) / math.sqrt(n_items)  # binomial for 0/1 scores
    lo = pred - math.hypot(pred - min(lo, pred), spread)
    hi = pred + math.hypot(max(hi, pred) - pred, spread)
    naive = naive_extrapolation(obs.x, obs.acc.mean(axis=1), target_x)
    details["bootstrap_ok"] = len(boots)
    return Prediction(method, float(target_x), pred, float(max(0.0, lo)), float(min(1.0, hi)), naive, actual, details)


def observations(x: Sequence[float], acc: Sequence[np.ndarray], p_correct: Sequence[np.ndarray],
                 pass_prob: Sequence[np.ndarray], chance: float) -> Observations:
    """Observations from per-scale item vectors, sorted by scale; scales must be positive."""
    order = np.argsort(np.asarray(x, float))
    xs = np.asarray(x, float)[order]
    if np.any(xs <= 0):
        raise ValueError("scales must be positive (drop the step-0 checkpoint)")
    stack = lambda rows: np.asarray([rows[i] for i in order], float)  # noqa: E731
    return Observations(xs, stack(acc), stack(p_correct), stack(pass_prob), float(chance))
