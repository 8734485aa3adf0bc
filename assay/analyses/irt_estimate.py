"""Subset evaluation simulated on rows whose full responses are known (`assay irt estimate`).

Each row of a response matrix is evaluated as if only `k` items had been asked (chosen by
the strategy), and its predicted full-benchmark accuracy and interval are reported next to
the accuracy it really has, so a calibration can be validated before it is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from assay.analyses.adaptive import (
    Estimator,
    EstimatorCheck,
    Strategy,
    check_estimators,
    design_for,
    simulate_subset,
)
from assay.analyses.irt_calibration import Calibration, check_calibration_items
from assay.analyses.irt_data import ResponseMatrix


@dataclass(frozen=True)
class EstimateRow:
    row: str
    accuracy: float
    ci_low: float
    ci_high: float
    items_used: list[str]
    theta: float
    theta_se: float
    person_fit: float
    full_accuracy: float | None
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "accuracy": self.accuracy, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "items_used": self.items_used, "theta": self.theta, "theta_se": self.theta_se,
                "person_fit": None if not np.isfinite(self.person_fit) else self.person_fit,
                "full_accuracy": self.full_accuracy, "warnings": self.warnings}


def estimate_rows(cal: Calibration, matrix: ResponseMatrix, k: int, *, strategy: Strategy | str = Strategy.ADAPTIVE,
                  estimator: Estimator | str = Estimator.GPIRT, seed: int = 0, source: str | Path = "responses",
                  progress: Callable[[int], None] | None = None) -> tuple[list[EstimateRow], EstimatorCheck]:
    """Evaluate every row of `matrix` from `k` of the calibrated items; the matrix must hold
    every calibrated item (its columns are matched by item id)."""
    strategy = Strategy(strategy)
    cols = check_calibration_items(cal, matrix.items, source=source, task=matrix.task)
    values = matrix.values[:, cols]
    k = max(1, min(int(k), len(cal.items)))
    check = check_estimators(cal, strategy, k, seed=seed)
    design = design_for(cal, strategy, k, seed)
    out = []
    for i, name in enumerate(matrix.rows):
        full = values[i]
        est = simulate_subset(cal, full, strategy, k, check=check, design=design, estimator=estimator,
                              seed=seed + i)
        truth = float(np.nanmean(full)) if not np.isnan(full).all() else None
        out.append(EstimateRow(name, est.accuracy, est.ci_low, est.ci_high, [cal.items[j] for j in est.items_used],
                               est.theta, est.theta_se, est.person_fit, truth, est.warnings))
        if progress:
            progress(i + 1)
    return out, check
