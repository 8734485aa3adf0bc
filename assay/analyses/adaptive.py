"""Estimate a model's full-benchmark accuracy from a few items, with an honest interval.

Three ways to choose the items (`Strategy`):
- adaptive: computerized adaptive testing: the next item is the most informative at the
  current ability estimate, chosen at random among the `exposure` best ("randomesque"
  exposure control, Kingsbury & Zara 1989) so no item is always asked; deterministic given
  the answers so far (the choice is seeded by the seed and the step), so a killed run
  resumes to the same sequence;
- anchors: tinyBenchmarks-style (Polo et al. 2024): cluster the items by their fitted
  correctness profile over the calibration rows (k-means), ask the item nearest each centre,
  weight it by its cluster's size;
- random: stratified by difficulty (equal-size strata of fitted b, proportional allocation).

Three estimators (`Estimator`):
- irt: the mean predicted correctness over all items at the ability estimate;
- pirt: the answers seen plus the prediction for the rest (p-IRT of tinyBenchmarks);
- gpirt: lambda * the design estimate (weighted mean of the answers) + (1 - lambda) * pirt,
  as gp-IRT does; lambda is chosen on out-of-bag calibration rows to minimise the error
  (it is 0 for adaptive selection, whose answers are not a sample of the benchmark).

The interval: the prediction's variance mixes the ability posterior, the unasked items'
Bernoulli variation and the spread across bootstrap refits of the items (item-parameter
uncertainty). Real models break IRT's assumptions, so the variance is then scaled by the
ratio of the squared error to that variance on out-of-bag calibration rows (rows a bootstrap
refit did not see), estimated per strategy and subset size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Sequence

import numpy as np
from scipy.cluster.vq import kmeans2
from scipy.stats import norm

from assay.analyses.irt_calibration import Calibration
from assay.stats.irt import ItemParameters, Quadrature, item_information, item_response, row_log_likelihood
from assay.stats.irt_scoring import (
    PERSON_MISFIT_LZ,
    estimate_ability,
    mixture_prediction,
    person_fit_lz,
    posterior_over_nodes,
    predict_unseen,
)


class Strategy(str, Enum):
    ADAPTIVE = "adaptive"
    ANCHORS = "anchors"
    RANDOM = "random"


class Estimator(str, Enum):
    IRT = "irt"
    PIRT = "pirt"
    GPIRT = "gpirt"


@dataclass(frozen=True)
class Design:
    """A fixed item subset and the weights of its design estimate (they sum to 1)."""

    items: np.ndarray
    weights: np.ndarray


def calibration_abilities(params: ItemParameters, responses: np.ndarray, quad: Quadrature) -> np.ndarray:
    """EAP abilities of calibration rows under `params`."""
    logpost = row_log_likelihood(params, responses, quad.nodes) + quad.log_weights
    w = np.exp(logpost - logpost.max(axis=1, keepdims=True))
    return (w @ quad.nodes) / w.sum(axis=1)


def select_anchors(params: ItemParameters, theta_rows: np.ndarray, k: int, seed: int = 0) -> Design:
    """k anchor items: k-means over each item's predicted correctness across the calibration
    rows' abilities; the item nearest each centre, weighted by its cluster's share of items."""
    profiles = item_response(params, np.sort(theta_rows))  # (items, rows)
    n = profiles.shape[0]
    k = min(k, n)
    centres, labels = kmeans2(profiles, k, seed=seed, minit="++", iter=30)
    chosen, weights = [], []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        if members.size == 0:
            continue
        d = ((profiles[members] - centres[c]) ** 2).sum(axis=1)
        chosen.append(int(members[np.argmin(d)]))
        weights.append(members.size / n)
    return Design(np.array(chosen, int), np.array(weights))


def select_stratified(params: ItemParameters, k: int, seed: int = 0) -> Design:
    """k items drawn across difficulty strata (as many strata as items allow, at most k)."""
    n = params.n_items
    k = min(k, n)
    gen = np.random.default_rng(seed)
    order = np.argsort(params.b, kind="stable")
    strata = np.array_split(order, k)
    chosen = [int(gen.choice(s)) for s in strata if s.size]
    weights = np.array([s.size / n for s in strata if s.size])
    return Design(np.array(chosen, int), weights)


@dataclass
class AdaptiveSelector:
    """Maximum-information item selection with randomesque exposure control."""

    params: ItemParameters
    quadrature: Quadrature
    exposure: int = 5
    seed: int = 0

    def next_item(self, responses: np.ndarray) -> int | None:
        """The next item to ask given `responses` (NaN = not asked yet); None when all are asked."""
        asked = ~np.isnan(responses)
        if asked.all():
            return None
        theta = estimate_ability(self.params, responses, self.quadrature).theta
        info = item_information(self.params, np.array([theta]))[:, 0]
        info[asked] = -np.inf
        top = np.argsort(-info, kind="stable")[: max(1, min(self.exposure, int((~asked).sum())))]
        gen = np.random.default_rng([self.seed, int(asked.sum())])
        return int(top[gen.integers(len(top))])


def run_adaptive(selector: AdaptiveSelector, answer, max_items: int, target_se: float | None = None,
                 n_items: int | None = None) -> np.ndarray:
    """Ask items one by one (`answer(j)` returns 1/0) until `max_items` or the ability SE
    reaches `target_se`. Returns the response row (NaN where not asked)."""
    responses = np.full(n_items or selector.params.n_items, np.nan)
    for _ in range(max_items):
        j = selector.next_item(responses)
        if j is None:
            break
        responses[j] = float(answer(j))
        if target_se is not None and estimate_ability(selector.params, responses, selector.quadrature).theta_se <= target_se:
            break
    return responses


@dataclass(frozen=True)
class EstimatorCheck:
    """How an estimator did on out-of-bag calibration rows for one strategy and size:
    `lam` the design weight of gpirt, `scale` the variance inflation, `mae` its error."""

    strategy: Strategy
    k: int
    lam: float
    scale: dict[str, float]
    mae: dict[str, float]
    n_rows: int


@dataclass(frozen=True)
class SubsetEstimate:
    """A row's predicted full-benchmark accuracy from the items asked."""

    accuracy: float
    ci_low: float
    ci_high: float
    stderr: float
    theta: float
    theta_se: float
    person_fit: float
    items_used: list[int]
    estimator: Estimator
    warnings: list[str] = field(default_factory=list)

    @property
    def misfit(self) -> bool:
        return bool(np.isfinite(self.person_fit) and self.person_fit < PERSON_MISFIT_LZ)


def _choose(strategy: Strategy, params: ItemParameters, quad: Quadrature, full_row: np.ndarray, k: int,
            design: Design | None, seed: int, exposure: int) -> tuple[np.ndarray, Design | None]:
    if strategy is Strategy.ADAPTIVE:
        sel = AdaptiveSelector(params, quad, exposure, seed)
        row = run_adaptive(sel, lambda j: full_row[j], k)
        return np.flatnonzero(~np.isnan(row)), None
    assert design is not None
    return design.items, design


def _point_estimates(params_sets: Sequence[ItemParameters], quad: Quadrature, masked: np.ndarray,
                     design: Design | None) -> tuple[dict[str, float], float]:
    """Each estimator's value for one row, and pirt's variance on the accuracy scale."""
    n = masked.size
    seen = np.flatnonzero(~np.isnan(masked))
    unseen = np.flatnonzero(np.isnan(masked))
    pred = mixture_prediction(params_sets, masked, quad, unseen)
    everything = mixture_prediction(params_sets, masked, quad, np.arange(n))
    observed = float(np.nansum(masked))
    frac_unseen = len(unseen) / n
    pirt = (observed + pred.mean * len(unseen)) / n if len(unseen) else observed / n
    if design is not None:
        answers = masked[design.items]
        design_est = float(np.sum(design.weights * answers) / np.sum(design.weights))
    else:
        design_est = float(np.nanmean(masked[seen])) if seen.size else math.nan
    values = {"irt": everything.mean, "pirt": pirt, "design": design_est}
    return values, frac_unseen**2 * pred.variance


def check_estimators(cal: Calibration, strategy: Strategy | str, k: int, *, seed: int = 0, exposure: int = 5,
                     max_rows_per_set: int = 8) -> EstimatorCheck:
    """Score each bootstrap refit's out-of-bag calibration rows with `strategy` at size `k`:
    the errors against their full accuracy give gpirt's lambda and each estimator's variance
    scale (squared error / predicted variance)."""
    strategy = Strategy(strategy)
    quad = cal.fit.quadrature
    y = cal.matrix.values
    truth_all = np.nanmean(y, axis=1)
    rows: list[tuple[dict[str, float], float, float]] = []
    gen = np.random.default_rng(seed)
    sets = cal.parameter_sets
    for params, drawn in zip(cal.bootstrap, cal.bootstrap_rows):
        oob = np.setdiff1d(np.arange(y.shape[0]), drawn)
        oob = oob[~np.isnan(y[oob]).any(axis=1)]  # only rows whose full accuracy is known
        if oob.size == 0:
            continue
        if oob.size > max_rows_per_set:
            oob = gen.choice(oob, max_rows_per_set, replace=False)
        design = _design_for(strategy, params, y[np.unique(drawn)], quad, k, seed)
        for i in oob:
            asked, d = _choose(strategy, params, quad, y[i], k, design, seed + int(i), exposure)
            masked = np.full(y.shape[1], np.nan)
            masked[asked] = y[i, asked]
            single, _ = _point_estimates([params], quad, masked, d)
            _, var_mix = _point_estimates(sets, quad, masked, d)
            rows.append((single, var_mix, float(truth_all[i])))
    if not rows:
        return EstimatorCheck(strategy, k, 0.0, {e.value: 1.0 for e in Estimator}, {}, 0)
    truth = np.array([r[2] for r in rows])
    var = np.array([r[1] for r in rows])
    pirt = np.array([r[0]["pirt"] for r in rows])
    design_est = np.array([r[0]["design"] for r in rows])
    lam = 0.0
    if strategy is not Strategy.ADAPTIVE:
        diff = pirt - design_est
        denom = float(np.sum(diff**2))
        lam = float(np.clip(np.sum((pirt - truth) * diff) / denom, 0.0, 1.0)) if denom > 0 else 0.0
    est = {"irt": np.array([r[0]["irt"] for r in rows]), "pirt": pirt, "gpirt": lam * design_est + (1 - lam) * pirt}
    mean_var = max(float(var.mean()), 1e-12)
    scale = {name: max(float(np.mean((v - truth) ** 2)) / mean_var, 1.0) for name, v in est.items()}
    mae = {name: float(np.mean(np.abs(v - truth))) for name, v in est.items()}
    return EstimatorCheck(strategy, k, lam, scale, mae, len(rows))


def _design_for(strategy: Strategy, params: ItemParameters, calib_rows: np.ndarray, quad: Quadrature, k: int,
                seed: int) -> Design | None:
    if strategy is Strategy.ANCHORS:
        return select_anchors(params, calibration_abilities(params, calib_rows, quad), k, seed)
    if strategy is Strategy.RANDOM:
        return select_stratified(params, k, seed)
    return None


def design_for(cal: Calibration, strategy: Strategy | str, k: int, seed: int = 0) -> Design | None:
    """The fixed subset of a non-adaptive strategy, chosen on the calibration's own fit."""
    return _design_for(Strategy(strategy), cal.params, cal.matrix.values, cal.fit.quadrature, k, seed)


def estimate_from_responses(cal: Calibration, masked: np.ndarray, *, check: EstimatorCheck,
                            design: Design | None = None, estimator: Estimator | str = Estimator.GPIRT,
                            confidence: float = 0.95) -> SubsetEstimate:
    """The accuracy estimate and interval for one row whose asked items are the non-NaN cells
    of `masked` (in the calibration's item order)."""
    estimator = Estimator(estimator)
    quad = cal.fit.quadrature
    values, var = _point_estimates(cal.parameter_sets, quad, masked, design)
    lam = check.lam
    values["gpirt"] = lam * values["design"] + (1 - lam) * values["pirt"] if design is not None or lam > 0 else values["pirt"]
    if not np.isfinite(values["gpirt"]):
        values["gpirt"] = values["pirt"]
    value = values[estimator.value]
    se = math.sqrt(max(var * check.scale.get(estimator.value, 1.0), 0.0))
    z = float(norm.ppf(0.5 + confidence / 2))
    ability = estimate_ability(cal.params, masked, quad)
    lz = person_fit_lz(cal.params, masked, ability.theta)
    warnings = []
    if np.isfinite(lz) and lz < PERSON_MISFIT_LZ:
        warnings.append(f"poor person fit (l_z = {lz:.2f} < {PERSON_MISFIT_LZ}): the answers do not follow the "
                        "calibrated items' difficulty order; the estimate may be off")
    lo, hi = float(np.min(cal.fit.theta)), float(np.max(cal.fit.theta))
    if ability.theta < lo - 0.5 or ability.theta > hi + 0.5:
        warnings.append(f"ability {ability.theta:.2f} lies outside the calibration population "
                        f"[{lo:.2f}, {hi:.2f}]: the items were not calibrated on models like this one")
    return SubsetEstimate(float(value), max(0.0, value - z * se), min(1.0, value + z * se), se, ability.theta,
                          ability.theta_se, lz, [int(i) for i in np.flatnonzero(~np.isnan(masked))], estimator,
                          warnings)


def simulate_subset(cal: Calibration, full_row: np.ndarray, strategy: Strategy | str, k: int, *,
                    check: EstimatorCheck, design: Design | None = None, estimator: Estimator | str = Estimator.GPIRT,
                    seed: int = 0, exposure: int = 5, confidence: float = 0.95) -> SubsetEstimate:
    """Evaluate a row whose full responses are known as if only `k` items had been asked."""
    strategy = Strategy(strategy)
    if strategy is not Strategy.ADAPTIVE and design is None:
        design = design_for(cal, strategy, k, seed)
    asked, d = _choose(strategy, cal.params, cal.fit.quadrature, full_row, k, design, seed, exposure)
    masked = np.full(full_row.size, np.nan)
    masked[asked] = full_row[asked]
    return estimate_from_responses(cal, masked, check=check, design=d, estimator=estimator, confidence=confidence)
