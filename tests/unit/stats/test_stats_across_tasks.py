"""Item-stratified paired bootstrap of aggregates over tasks (one run per model)."""

from __future__ import annotations

import numpy as np
import pytest

from assay.stats import iqm
from assay.stats.across_tasks import iqm_over_tasks, mean_over_tasks, paired_across_tasks


def test_point_estimates_are_the_aggregates_of_task_means():
    rng = np.random.default_rng(1)
    a = [rng.integers(0, 2, n).astype(float) for n in (30, 50, 80, 20, 60)]
    b = [rng.integers(0, 2, n).astype(float) for n in (30, 50, 80, 20, 60)]
    res = paired_across_tasks(a, b, mean_over_tasks, n_resamples=500)
    means_a = np.array([x.mean() for x in a])
    means_b = np.array([x.mean() for x in b])
    assert res.a.estimate == pytest.approx(means_a.mean())
    assert res.difference.estimate == pytest.approx(means_a.mean() - means_b.mean())
    res_iqm = paired_across_tasks(a, b, iqm_over_tasks, n_resamples=500)
    assert res_iqm.a.estimate == pytest.approx(float(iqm(means_a[None, :])))


def test_pairing_narrows_the_difference_interval():
    rng = np.random.default_rng(2)
    tasks_a, tasks_b = [], []
    for _ in range(6):
        skill = rng.random(100)  # shared item difficulty: the two models agree on most items
        tasks_a.append((rng.random(100) < skill).astype(float))
        tasks_b.append(np.where(rng.random(100) < 0.9, tasks_a[-1], 1 - tasks_a[-1]))
    res = paired_across_tasks(tasks_a, tasks_b, n_resamples=1000)
    unpaired_width = 2 * 1.96 * np.hypot(res.a.stderr, res.b.stderr)
    assert res.difference.high - res.difference.low < 0.6 * unpaired_width


def test_coverage_of_the_mean_difference():
    """95% interval of the mean-over-tasks difference covers the truth ~95% (modest reps)."""
    rng = np.random.default_rng(3)
    p_a, p_b = np.array([0.3, 0.5, 0.7, 0.6]), np.array([0.35, 0.45, 0.7, 0.5])
    truth = p_a.mean() - p_b.mean()
    hits = 0
    reps = 300
    for r in range(reps):
        a = [(rng.random(80) < p).astype(float) for p in p_a]
        b = [(rng.random(80) < p).astype(float) for p in p_b]
        d = paired_across_tasks(a, b, n_resamples=400, rng=r).difference
        hits += d.low <= truth <= d.high
    assert 0.90 <= hits / reps <= 0.99


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match="same tasks"):
        paired_across_tasks([np.ones(3)], [np.ones(4)])
    with pytest.raises(ValueError, match="NaN"):
        paired_across_tasks([np.array([1.0, np.nan])], [np.ones(2)])
