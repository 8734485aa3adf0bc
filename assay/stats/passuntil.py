"""PassUntil (Hu et al. 2024, *Unlock Predictable Scaling from Emergent Abilities*): estimate a
pass rate far below 1/n by sampling each item until it passes, up to a budget.

Each item i is sampled until its first `r` passes or `budget` draws, whichever comes first;
`draws[i]` is how many were drawn and `passes[i]` how many passed. Two estimators:

- `pass_rate_pooled`: total passes / total draws, the maximum likelihood estimate of a common
  rate. The stopping rule does not change the likelihood (it is the binomial one), and by
  Wald's identity E[passes] = p E[draws] exactly, so the ratio is unbiased to first order;
  its interval is Clopper-Pearson on (passes, draws), with a rate far below 1/n_items
  resolved because draws, not items, are the denominator.
- `pass_rate_haldane`: the mean over items of Haldane's (1945) unbiased estimate
  (r - 1) / (draws - 1) for an item that reached r >= 2 passes (inverse binomial sampling);
  an item that hit the budget first contributes its passes / budget. Exactly unbiased when
  no item hits the budget; with per-item rates it estimates the mean rate, with a t
  interval over items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from assay.stats._checks import RandomState, as_generator, check_confidence


@dataclass(frozen=True)
class PassRate:
    """A pass-rate estimate with its interval, and what it rests on."""

    rate: float
    ci_low: float
    ci_high: float
    passes: int
    draws: int
    n_items: int
    method: str


def _check(passes: np.ndarray, draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(passes, int)
    d = np.asarray(draws, int)
    if p.shape != d.shape or p.ndim != 1 or p.size == 0:
        raise ValueError("passes and draws must be 1-D arrays of the same, non-zero length")
    if (d < 1).any() or (p < 0).any() or (p > d).any():
        raise ValueError("each item needs draws >= 1 and 0 <= passes <= draws")
    return p, d


def pass_rate_pooled(passes: np.ndarray, draws: np.ndarray, confidence: float = 0.95) -> PassRate:
    """Total passes over total draws with a Clopper-Pearson interval."""
    p, d = _check(passes, draws)
    alpha = 1 - check_confidence(confidence)
    s, n = int(p.sum()), int(d.sum())
    low = 0.0 if s == 0 else float(sps.beta.ppf(alpha / 2, s, n - s + 1))
    high = 1.0 if s == n else float(sps.beta.ppf(1 - alpha / 2, s + 1, n - s))
    return PassRate(s / n, low, high, s, n, p.size, "pooled-mle")


def pass_rate_haldane(passes: np.ndarray, draws: np.ndarray, r: int, budget: int,
                      confidence: float = 0.95) -> PassRate:
    """Mean over items of (r - 1) / (draws - 1) (items that reached r passes) or passes / budget
    (items stopped by the budget), with a t interval over items."""
    if r < 2:
        raise ValueError("Haldane's unbiased estimator needs r >= 2 passes per item")
    p, d = _check(passes, draws)
    reached = p >= r
    per_item = np.where(reached, (r - 1) / np.maximum(d - 1, 1), p / budget)
    m = float(per_item.mean())
    if per_item.size > 1:
        se = float(per_item.std(ddof=1) / np.sqrt(per_item.size))
        t = float(sps.t.ppf(0.5 + check_confidence(confidence) / 2, per_item.size - 1))
        low, high = max(0.0, m - t * se), min(1.0, m + t * se)
    else:
        low, high = float("nan"), float("nan")
    return PassRate(m, low, high, int(p.sum()), int(d.sum()), p.size, "haldane")


def sample_until_pass(pass_prob: np.ndarray, r: int, budget: int, rng: RandomState = 0) -> tuple[np.ndarray, np.ndarray]:
    """Simulate PassUntil on items with known pass probabilities: (passes, draws) per item
    (for validation: the estimators must recover the known rate)."""
    gen = as_generator(rng)
    probs = np.asarray(pass_prob, float)
    passes = np.zeros(probs.size, int)
    draws = np.zeros(probs.size, int)
    for i, q in enumerate(probs):
        # the draw numbers of the first r passes are cumulative sums of geometric gaps
        at = np.cumsum(gen.geometric(q, r)) if q > 0 else np.full(r, budget + 1)
        passes[i] = int((at <= budget).sum())
        draws[i] = int(at[-1]) if passes[i] == r else budget
    return passes, draws
