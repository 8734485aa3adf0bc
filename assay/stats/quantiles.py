"""Quantiles with distribution-free intervals: the median and p90 of latencies, energies, costs.

Latencies are skewed and heavy-tailed, so a mean ± t interval misleads; the interval for a
quantile here is the order-statistic (binomial) one, exact for any continuous distribution,
from `scipy.stats.quantile_test`. With too few values for a 95% interval an end is NaN
(e.g. p90 needs about 29 values for a finite upper end): honest, never invented.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.stats as sps

from assay.stats._checks import check_confidence


@dataclass(frozen=True)
class QuantileInterval:
    """The `q`-quantile of `n` values with a two-sided `confidence` interval [low, high]."""

    q: float
    estimate: float
    low: float
    high: float
    n: int
    confidence: float

    def to_dict(self) -> dict[str, float | int]:
        return {"q": self.q, "value": self.estimate, "ci_low": self.low, "ci_high": self.high, "n": self.n}


def quantile_ci(values: Sequence[float] | np.ndarray, q: float, confidence: float = 0.95) -> QuantileInterval:
    """The q-quantile (numpy's default linear interpolation) of the finite `values`, with
    the order-statistic interval. NaN and None values are dropped (unmeasured samples)."""
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be in (0, 1), got {q}")
    confidence = check_confidence(confidence)
    x = np.asarray([v for v in values if v is not None], dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return QuantileInterval(q, math.nan, math.nan, math.nan, 0, confidence)
    estimate = float(np.quantile(x, q))
    if x.size < 2:
        return QuantileInterval(q, estimate, math.nan, math.nan, int(x.size), confidence)
    ci = sps.quantile_test(x, q=estimate, p=q, alternative="two-sided").confidence_interval(confidence)
    return QuantileInterval(q, estimate, float(ci.low), float(ci.high), int(x.size), confidence)
