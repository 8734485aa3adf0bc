"""The score on a subset of items (those no check flags) against the score on all of them.

`subset_difference` is the full mean minus the subset mean, with a bootstrap interval that
resamples items once for both means (the two share the subset's items, so they are paired).
It equals (k / n) * (mean of flagged - mean of kept) for k flagged items of n.
"""

from __future__ import annotations

import math
import warnings
from typing import Sequence

import numpy as np
import scipy.stats as sps

from assay.stats._checks import RandomState, as_generator, as_vector, check_confidence
from assay.stats.intervals import Interval, IntervalMethod


def _full_minus_kept(values: np.ndarray, keep: np.ndarray, axis: int = -1) -> np.ndarray:
    kept = np.where(keep > 0.5, values, 0.0).sum(axis=axis)
    n_kept = (keep > 0.5).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return values.mean(axis=axis) - kept / n_kept


def subset_difference(values: Sequence[float] | np.ndarray, keep: Sequence[bool] | np.ndarray,
                      confidence: float = 0.95, n_resamples: int = 4999, rng: RandomState = 0) -> Interval:
    """mean(values) - mean(values[keep]) with a paired percentile-bootstrap interval.
    `values`, `keep`: shape (n,). NaN values (failed items) are dropped first."""
    x = as_vector(values)
    k = np.asarray(keep, dtype=float)
    if k.shape != x.shape:
        raise ValueError(f"keep has shape {k.shape}, values {x.shape}")
    confidence = check_confidence(confidence)
    ok = np.isfinite(x)
    x, k = x[ok], k[ok]
    if k.sum() == 0:
        raise ValueError("no item is kept: the subset score is undefined")
    estimate = float(_full_minus_kept(x, k))
    method = IntervalMethod.BOOTSTRAP_PERCENTILE
    if x.size < 2 or k.sum() == x.size:
        return Interval(estimate, estimate, estimate, 0.0, method, confidence, int(x.size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sps.bootstrap((x, k), _full_minus_kept, paired=True, vectorized=True, n_resamples=n_resamples,
                            confidence_level=confidence, method="percentile", rng=as_generator(rng))
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if math.isnan(lo):  # resamples that kept no item: fall back to the finite ones
        lo, hi = estimate, estimate
    return Interval(lo, hi, estimate, float(res.standard_error), method, confidence, int(x.size))
