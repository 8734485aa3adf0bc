"""The clean-subset score: the metric on the items no integrity check flags, with its
interval, and the paired difference from the full score (lm-eval users ask for exactly
this clean-vs-contaminated gap, lm-evaluation-harness #231)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Collection, Sequence

import numpy as np

from assay.core.results import MetricSummary
from assay.stats import Interval, IntervalMethod, summarize
from assay.stats.subset import subset_difference


@dataclass(frozen=True)
class CleanSubsetScore:
    """Full score and clean-subset score (each with its interval) and full - clean."""

    task: str
    metric: str
    full: MetricSummary
    clean: MetricSummary
    difference: Interval
    n_items: int
    n_flagged: int

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "metric": self.metric, "full": self.full.value, "full_low": self.full.ci_low,
                "full_high": self.full.ci_high, "clean": self.clean.value, "clean_low": self.clean.ci_low,
                "clean_high": self.clean.ci_high, "difference": self.difference.estimate,
                "difference_low": self.difference.low, "difference_high": self.difference.high,
                "n_items": self.n_items, "n_flagged": self.n_flagged}


def clean_subset_score(task: str, metric: str, ids: Sequence[str], values: Sequence[float],
                       flagged: Collection[str], seed: int = 0) -> CleanSubsetScore:
    """The metric on all items and on the unflagged ones, and their paired difference."""
    x = np.asarray(values, dtype=float)
    keep = np.array([i not in flagged for i in ids])
    full = summarize(metric, x)
    clean = summarize(metric, x[keep])
    diff = subset_difference(x, keep, rng=seed) if keep.any() else Interval(
        math.nan, math.nan, math.nan, math.nan, IntervalMethod.NONE, 0.95, 0)
    return CleanSubsetScore(task, metric, full, clean, diff, len(ids), int((~keep).sum()))
