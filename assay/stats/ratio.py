"""Intervals for ratio-of-sums metrics (perplexity, bits per byte): the delta method or a
document-level bootstrap. Pure numpy/scipy.

A corpus metric such as word perplexity is f(R) with R = Σ a_i / Σ b_i over documents i
(a_i the document's log-likelihood, b_i its word count): a ratio estimator, whose documents
are the independent units. So the interval is for R, over documents, then mapped through f
(monotone, so the interval maps end to end):

- delta (default): R's stderr is sqrt(Σ (a_i - R b_i)² / (n (n-1))) / mean(b) (the linearised
  ratio estimator, Cochran 1977 §6.3), the interval R ± t_{n-1} · se, and f's stderr is
  |f'(R)| · se;
- bootstrap: documents resampled with replacement (`n_resamples`, a seeded Generator), the
  percentile interval of R.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Sequence

import numpy as np
import scipy.stats as sps

from assay.core.aggregation import RatioTransform
from assay.core.results import MetricSummary
from assay.stats._checks import as_vector, check_confidence, same_length


class RatioMethod(str, Enum):
    """How the interval of a ratio of sums is made (the value is `MetricSummary.method`)."""

    DELTA = "delta"
    BOOTSTRAP = "bootstrap-percentile"


@dataclass(frozen=True)
class RatioInterval:
    """`estimate` = transform(Σ a / Σ b) with its stderr and a two-sided `confidence`
    interval [low, high] over `n` documents."""

    estimate: float
    low: float
    high: float
    stderr: float
    method: RatioMethod
    confidence: float
    n: int

    def contains(self, value: float) -> bool:
        return bool(self.low <= value <= self.high)


def ratio_of_sums_ci(
    numerators: Sequence[float] | np.ndarray,
    denominators: Sequence[float] | np.ndarray,
    transform: RatioTransform = RatioTransform.IDENTITY,
    confidence: float = 0.95,
    method: RatioMethod = RatioMethod.DELTA,
    rng: np.random.Generator | None = None,
    n_resamples: int = 2000,
) -> RatioInterval:
    """transform(Σ a / Σ b) and its interval. `numerators`, `denominators`: shape (n,), one
    pair per document, finite, Σ b > 0. With one document (or a bootstrap that cannot vary)
    the interval is NaN. `rng` is required for the bootstrap (no hidden randomness)."""
    a = as_vector(numerators, "numerators")
    b = as_vector(denominators, "denominators")
    same_length(a, b, "numerators and denominators")
    confidence = check_confidence(confidence)
    n = a.size
    if n == 0 or b.sum() <= 0:
        raise ValueError("a ratio of sums needs at least one document and a positive total denominator")
    ratio = float(a.sum() / b.sum())
    estimate = transform.apply(ratio)
    nan = math.nan
    if method is RatioMethod.DELTA:
        if n < 2:
            return RatioInterval(estimate, nan, nan, nan, method, confidence, n)
        residual = a - ratio * b
        se = float(math.sqrt(float((residual ** 2).sum()) / (n * (n - 1))) / b.mean())
        half = float(sps.t.ppf(0.5 + confidence / 2.0, n - 1)) * se
        ends = (transform.apply(ratio - half), transform.apply(ratio + half))
        return RatioInterval(estimate, min(ends), max(ends), abs(transform.slope(ratio)) * se, method, confidence, n)
    if rng is None:
        raise ValueError("the bootstrap needs an explicit numpy Generator (rng=np.random.default_rng(seed))")
    idx = rng.integers(0, n, size=(n_resamples, n))
    sums_b = b[idx].sum(axis=1)
    ok = sums_b > 0
    ratios = a[idx].sum(axis=1)[ok] / sums_b[ok]
    if n < 2 or ratios.size < 2:
        return RatioInterval(estimate, nan, nan, nan, method, confidence, n)
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(ratios, [alpha, 1.0 - alpha])
    values = np.array([transform.apply(float(r)) for r in ratios])
    ends = (transform.apply(float(lo)), transform.apply(float(hi)))
    return RatioInterval(estimate, min(ends), max(ends), float(values.std(ddof=1)), method, confidence, n)


def summarize_ratio(
    name: str,
    numerators: Sequence[float] | np.ndarray,
    denominators: Sequence[float] | np.ndarray,
    transform: RatioTransform = RatioTransform.IDENTITY,
    confidence: float = 0.95,
) -> MetricSummary:
    """A corpus metric's summary (delta-method interval). Documents whose numerator or
    denominator is NaN (failed samples) are excluded and counted in `n_failed`."""
    a = as_vector(numerators, "numerators", allow_nan=True)
    b = as_vector(denominators, "denominators", allow_nan=True)
    same_length(a, b, "numerators and denominators")
    keep = ~(np.isnan(a) | np.isnan(b))
    n_failed = int(keep.size - keep.sum())
    a, b = a[keep], b[keep]
    if a.size == 0 or b.sum() <= 0:
        return MetricSummary(name, math.nan, int(a.size), math.nan, math.nan, math.nan, "none", n_failed)
    iv = ratio_of_sums_ci(a, b, transform, confidence, RatioMethod.DELTA)
    return MetricSummary(name, iv.estimate, iv.n, iv.stderr, iv.low, iv.high, iv.method.value, n_failed)
