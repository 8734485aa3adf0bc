"""Repeated runs of one model (several seeds or sampled generations): item vs run variance.

Aligns the items every run answered and hands the (items x runs) score matrix of each task
to `assay.stats.decompose_variance`, which separates the noise of which items were drawn
from the noise of what each run happened to produce.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from assay.analyses.summaries import score_of
from assay.core.run import Run
from assay.stats import VarianceDecomposition, decompose_variance


@dataclass(frozen=True)
class TaskVariance:
    task: str
    metric: str
    decomposition: VarianceDecomposition
    dropped: int
    """Items not answered (or failed) in every run, left out of the matrix."""


def _metric(runs: Sequence[Run], task: str, wanted: str | None) -> str | None:
    shared = [m for m in runs[0].task_metrics(task) if all(m in r.task_metrics(task) for r in runs[1:])]
    if wanted is not None:
        return wanted if wanted in shared else None
    return shared[0] if shared else None


def repeated_run_variance(runs: Sequence[Run], metric: str | None = None) -> list[TaskVariance]:
    """One decomposition per task present in every run (metric: `metric`, else the task's first)."""
    if len(runs) < 2:
        raise ValueError("need at least two runs of the same tasks")
    tasks = [t for t in runs[0].tasks if all(t in r.tasks for r in runs[1:])]
    out = []
    for task in tasks:
        name = _metric(runs, task, metric)
        if name is None:
            continue
        by_run = [{rec.sample_id: score_of(rec, name) for rec in r.rows(task)} for r in runs]
        ids = sorted(set.union(*(set(m) for m in by_run)))
        complete = [i for i in ids if all(not math.isnan(m.get(i, math.nan)) for m in by_run)]
        if len(complete) < 2:
            continue
        matrix = np.array([[m[i] for m in by_run] for i in complete])
        out.append(TaskVariance(task, name, decompose_variance(matrix), len(ids) - len(complete)))
    return out
