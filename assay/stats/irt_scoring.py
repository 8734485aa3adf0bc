"""Scoring one response pattern against calibrated items: ability, person fit, predicted accuracy.

`responses` here is one row of length n_items: 1/0 where the item was asked, NaN where not.
Ability is the expected a posteriori (EAP) estimate on the calibration's quadrature grid,
with the posterior SD as its standard error (Bock & Mislevy 1982): unlike the maximum
likelihood estimate it exists after 3 correct answers out of 3. Person fit is the
standardized log-likelihood l_z (Drasgow, Levine & Williams 1985).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.special import logsumexp

from assay.stats.irt import ItemParameters, Quadrature, item_response, row_log_likelihood

_EPS = 1e-9

PERSON_MISFIT_LZ = -1.96
"""l_z below this (two-sided 5% under the model's null) flags a row whose pattern the
calibrated items do not explain: answers guessed, memorised, or a model unlike the
calibration population."""


@dataclass(frozen=True)
class AbilityEstimate:
    """EAP ability, its posterior SD, and the posterior over the quadrature nodes."""

    theta: float
    theta_se: float
    posterior: np.ndarray


def posterior_over_nodes(params: ItemParameters, responses: np.ndarray, quadrature: Quadrature) -> np.ndarray:
    """The posterior of ability over the quadrature nodes given one row (NaN = not asked)."""
    row = np.asarray(responses, float)[None, :]
    logpost = row_log_likelihood(params, row, quadrature.nodes)[0] + quadrature.log_weights
    return np.exp(logpost - logsumexp(logpost))


def estimate_ability(params: ItemParameters, responses: np.ndarray, quadrature: Quadrature) -> AbilityEstimate:
    """EAP ability and its standard error from the items asked so far."""
    w = posterior_over_nodes(params, responses, quadrature)
    theta = float(w @ quadrature.nodes)
    se = math.sqrt(max(float(w @ quadrature.nodes**2) - theta**2, 0.0))
    return AbilityEstimate(theta, se, w)


def person_fit_lz(params: ItemParameters, responses: np.ndarray, theta: float) -> float:
    """Standardized log-likelihood l_z of the asked items at `theta`; about N(0, 1) when the
    row fits, strongly negative when it does not. NaN with fewer than 2 items asked."""
    y = np.asarray(responses, float)
    seen = ~np.isnan(y)
    if seen.sum() < 2:
        return float("nan")
    p = np.clip(item_response(params.subset(np.flatnonzero(seen)), np.array([theta]))[:, 0], _EPS, 1 - _EPS)
    yy = y[seen]
    l0 = np.sum(yy * np.log(p) + (1 - yy) * np.log1p(-p))
    expected = np.sum(p * np.log(p) + (1 - p) * np.log1p(-p))
    variance = np.sum(p * (1 - p) * np.log(p / (1 - p)) ** 2)
    return float((l0 - expected) / math.sqrt(variance)) if variance > 0 else float("nan")


@dataclass(frozen=True)
class UnseenPrediction:
    """The predicted mean outcome over the items not asked, and the variance of that mean:
    ability uncertainty plus the Bernoulli variation of the unasked items' own outcomes."""

    mean: float
    variance: float


def predict_unseen(params: ItemParameters, posterior: np.ndarray, quadrature: Quadrature,
                   unseen: np.ndarray) -> UnseenPrediction:
    """Predicted mean correctness over the `unseen` item indices under the ability posterior."""
    if len(unseen) == 0:
        return UnseenPrediction(float("nan"), 0.0)
    p = item_response(params.subset(np.asarray(unseen)), quadrature.nodes)  # (unseen, nodes)
    per_node = p.mean(axis=0)
    mean = float(posterior @ per_node)
    between = float(posterior @ (per_node - mean) ** 2)
    bernoulli = float(posterior @ (p * (1 - p)).sum(axis=0)) / len(unseen) ** 2
    return UnseenPrediction(mean, between + bernoulli)


def mixture_prediction(parameter_sets: Sequence[ItemParameters], responses: np.ndarray, quadrature: Quadrature,
                       unseen: np.ndarray) -> UnseenPrediction:
    """`predict_unseen` averaged over item-parameter sets (bootstrap refits): the law of total
    variance adds the spread between sets, the item-parameter uncertainty, to the variance."""
    preds = [predict_unseen(p, posterior_over_nodes(p, responses, quadrature), quadrature, unseen)
             for p in parameter_sets]
    means = np.array([p.mean for p in preds])
    within = float(np.mean([p.variance for p in preds]))
    between = float(means.var(ddof=1)) if len(means) > 1 else 0.0
    return UnseenPrediction(float(means.mean()), within + between)
