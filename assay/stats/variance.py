"""Variance of repeated runs: how much of a score's noise is the items and how much the runs.

When a task is run several times (seeds, sampled generations, prompt formats), the
`(num_items x num_runs)` score matrix `scores[i, r]` carries two kinds of noise: which
items were drawn (between items) and what each run happened to produce (within an item,
between runs). More runs shrink only the second; more items shrink both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from assay.stats._checks import as_matrix


@dataclass(frozen=True)
class VarianceDecomposition:
    """Variance components of an (items x runs) score matrix (see `decompose_variance`).

    within_item_variance: an item's score variance across runs, averaged over items.
    between_run_variance: variance of the task score (mean over items) across runs.
    item_variance, run_variance, residual_variance: the two-way random-effects components
      (item difficulty, a systematic shift of a whole run, item x run noise).
    stderr: standard error of `mean` (items and runs both random).
    stderr_items_fixed: the part due to runs alone, sqrt(between_run_variance / num_runs),
      i.e. the stderr if the same items were rerun.
    """

    n_items: int
    n_runs: int
    mean: float
    within_item_variance: float
    between_run_variance: float
    item_variance: float
    run_variance: float
    residual_variance: float
    stderr: float
    stderr_items_fixed: float

    @property
    def run_share(self) -> float:
        """Share of the mean's variance that comes from the runs (0 = all from items)."""
        total = self.stderr**2
        return min(1.0, self.stderr_items_fixed**2 / total) if total > 0 else math.nan

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def decompose_variance(scores: Sequence[Sequence[float]] | np.ndarray) -> VarianceDecomposition:
    """Split the variance of an (num_items x num_runs) matrix into item and run parts.

    Uses the two-way crossed random-effects model y_ir = mu + a_i + b_r + e_ir and its
    ANOVA (method-of-moments) estimators, negative estimates set to 0 (Searle, Casella &
    McCulloch 1992, "Variance Components", ch. 4): with mean squares MS_item, MS_run,
    MS_resid, item_variance = (MS_item - MS_resid) / R, run_variance = (MS_run - MS_resid)
    / n, and Var(mean) = (MS_item + MS_run - MS_resid) / (n R), an unbiased estimate of
    item_variance/n + run_variance/R + residual_variance/(n R). Miller (2024, "Adding
    Error Bars to Evals") makes the same split for resampled answers. Needs n >= 2 items and
    R >= 2 runs.
    """
    y = as_matrix(scores)
    n, runs = y.shape
    if n < 2 or runs < 2:
        raise ValueError(f"need at least 2 items and 2 runs, got shape {y.shape} (items x runs)")
    grand = float(y.mean())
    item_means, run_means = y.mean(axis=1), y.mean(axis=0)
    ms_item = runs * float(np.sum((item_means - grand) ** 2)) / (n - 1)
    ms_run = n * float(np.sum((run_means - grand) ** 2)) / (runs - 1)
    resid = y - item_means[:, None] - run_means[None, :] + grand
    ms_resid = float(np.sum(resid**2)) / ((n - 1) * (runs - 1))
    between_run = float(np.var(run_means, ddof=1))
    return VarianceDecomposition(
        n_items=n,
        n_runs=runs,
        mean=grand,
        within_item_variance=float(np.mean(np.var(y, axis=1, ddof=1))),
        between_run_variance=between_run,
        item_variance=max(0.0, (ms_item - ms_resid) / runs),
        run_variance=max(0.0, (ms_run - ms_resid) / n),
        residual_variance=ms_resid,
        stderr=math.sqrt(max(0.0, ms_item + ms_run - ms_resid) / (n * runs)),
        stderr_items_fixed=math.sqrt(between_run / runs),
    )
