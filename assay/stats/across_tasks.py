"""Aggregates across tasks when each model has one run: resample items within each task.

rliable's stratified bootstrap resamples *runs* within tasks; a typical LLM evaluation has
one run per task and many items, so the uncertainty of an aggregate (mean or IQM of task
scores) comes from the items. Here each resample redraws the items of every task with
replacement, independently per task (stratified by task), recomputes each task's mean and
then the aggregate. For two models on the same items the item pairs are resampled together,
so the interval of the aggregate difference is paired.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assay.stats._checks import RandomState, as_generator, check_confidence
from assay.stats.aggregates import iqm
from assay.stats.intervals import Interval, IntervalMethod

TaskAggregate = Callable[[np.ndarray], np.ndarray]
"""Maps (..., num_tasks) task scores to (...) aggregates."""


def mean_over_tasks(task_scores: np.ndarray) -> np.ndarray:
    return np.mean(task_scores, axis=-1)


def iqm_over_tasks(task_scores: np.ndarray) -> np.ndarray:
    """IQM of task scores: `iqm` sees one (1 x num_tasks) matrix per resample."""
    return np.asarray(iqm(task_scores[..., None, :]))


@dataclass(frozen=True)
class AcrossTasks:
    """Aggregate of each model's task means and of their difference (A - B), with intervals."""

    a: Interval
    b: Interval
    difference: Interval
    num_tasks: int


def _check(tasks: Sequence[np.ndarray], name: str) -> list[np.ndarray]:
    arrays = [np.asarray(t, dtype=float) for t in tasks]
    if not arrays:
        raise ValueError(f"{name}: no tasks")
    for i, t in enumerate(arrays):
        if t.ndim != 1 or t.size == 0:
            raise ValueError(f"{name}[{i}]: each task needs a non-empty 1-D array of item scores")
        if np.isnan(t).any():
            raise ValueError(f"{name}[{i}]: drop failed (NaN) items before aggregating")
    return arrays


def _interval(replicates: np.ndarray, estimate: float, confidence: float, n: int) -> Interval:
    tail = (1 - confidence) / 2
    low, high = np.quantile(replicates, [tail, 1 - tail])
    return Interval(float(low), float(high), estimate, float(np.std(replicates, ddof=1)),
                    IntervalMethod.BOOTSTRAP_PERCENTILE, confidence, n)


def paired_across_tasks(
    tasks_a: Sequence[np.ndarray],
    tasks_b: Sequence[np.ndarray],
    aggregate: TaskAggregate = mean_over_tasks,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    rng: RandomState = 0,
) -> AcrossTasks:
    """`tasks_a[m]`, `tasks_b[m]`: item scores of task m under models A and B, aligned item
    by item (same length). Returns percentile intervals of aggregate(A), aggregate(B) and
    aggregate(A) - aggregate(B) from an item-stratified paired bootstrap."""
    a, b = _check(tasks_a, "tasks_a"), _check(tasks_b, "tasks_b")
    if len(a) != len(b) or any(x.size != y.size for x, y in zip(a, b)):
        raise ValueError("tasks_a and tasks_b must hold the same tasks with the same items")
    confidence = check_confidence(confidence)
    gen = as_generator(rng)
    reps_a = np.empty((n_resamples, len(a)))
    reps_b = np.empty((n_resamples, len(a)))
    for m, (x, y) in enumerate(zip(a, b)):
        idx = gen.integers(0, x.size, size=(n_resamples, x.size))
        reps_a[:, m] = x[idx].mean(axis=1)
        reps_b[:, m] = y[idx].mean(axis=1)
    point_a = float(aggregate(np.array([x.mean() for x in a])))
    point_b = float(aggregate(np.array([y.mean() for y in b])))
    agg_a, agg_b = aggregate(reps_a), aggregate(reps_b)
    n = sum(x.size for x in a)
    return AcrossTasks(
        a=_interval(agg_a, point_a, confidence, n),
        b=_interval(agg_b, point_b, confidence, n),
        difference=_interval(agg_a - agg_b, point_a - point_b, confidence, n),
        num_tasks=len(a),
    )
