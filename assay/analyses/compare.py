"""Compare two runs item by item: paired differences per task, corrected p-values, aggregate.

Samples are aligned by (task, sample id); only items both runs answered are compared, and
the counts of unmatched or failed items are reported rather than hidden. Each task gets the
paired comparison of `assay.stats.compare_paired` (McNemar's exact test for 0/1 scores, a
sign-flip permutation test otherwise; clustered when items share a group), p-values are
corrected across tasks (Holm by default), and the mean and IQM over tasks get paired,
item-stratified bootstrap intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assay.analyses.summaries import score_of
from assay.core.run import Run
from assay.stats import CorrectionMethod, PairedComparison, compare_paired, correct
from assay.stats.across_tasks import AcrossTasks, iqm_over_tasks, mean_over_tasks, paired_across_tasks


@dataclass(frozen=True)
class TaskComparison:
    task: str
    metric: str
    score_a: float
    score_b: float
    comparison: PairedComparison
    p_adjusted: float
    significant: bool
    unmatched: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task, "metric": self.metric, "score_a": self.score_a, "score_b": self.score_b,
            **self.comparison.to_dict(), "p_adjusted": self.p_adjusted, "significant": self.significant,
            "unmatched": self.unmatched,
        }


@dataclass(frozen=True)
class RunComparison:
    model_a: str
    model_b: str
    run_a: str
    run_b: str
    tasks: list[TaskComparison]
    correction: CorrectionMethod
    alpha: float
    mean: AcrossTasks | None = None
    iqm: AcrossTasks | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        def across(x: AcrossTasks | None) -> dict[str, Any] | None:
            if x is None:
                return None
            return {k: {"estimate": iv.estimate, "ci_low": iv.low, "ci_high": iv.high, "stderr": iv.stderr}
                    for k, iv in (("a", x.a), ("b", x.b), ("difference", x.difference))} | {"num_tasks": x.num_tasks}

        return {
            "model_a": self.model_a, "model_b": self.model_b, "run_a": self.run_a, "run_b": self.run_b,
            "correction": self.correction.value, "alpha": self.alpha,
            "tasks": [t.to_dict() for t in self.tasks],
            "aggregate": {"mean": across(self.mean), "iqm": across(self.iqm)},
            "skipped": self.skipped,
        }


def _metric_for(a: Run, b: Run, task: str, wanted: str | None) -> str | None:
    shared = [m for m in a.task_metrics(task) if m in b.task_metrics(task)]
    if wanted is not None:
        return wanted if wanted in shared else None
    return shared[0] if shared else None


def compare_runs(
    a: Run,
    b: Run,
    metric: str | None = None,
    correction: CorrectionMethod = CorrectionMethod.HOLM,
    alpha: float = 0.05,
    seed: int = 0,
) -> RunComparison:
    """A minus B on every task both runs share (metric: `metric`, else the task's first)."""
    shared = [t for t in a.tasks if t in b.tasks]
    skipped = {t: "only in run A" for t in a.tasks if t not in shared}
    skipped |= {t: "only in run B" for t in b.tasks if t not in shared}
    pending: list[tuple[str, str, PairedComparison, float, float, int, np.ndarray, np.ndarray]] = []
    for task in shared:
        name = _metric_for(a, b, task, metric)
        if name is None:
            skipped[task] = f"metric '{metric}' not in both runs" if metric else "no shared metric"
            continue
        rows_b = {r.sample_id: r for r in b.rows(task)}
        rows_a = a.rows(task)
        pairs = [(ra, rows_b[ra.sample_id]) for ra in rows_a if ra.sample_id in rows_b]
        unmatched = len(rows_a) + len(rows_b) - 2 * len(pairs)
        if not pairs:
            skipped[task] = "no common sample ids"
            continue
        x = np.array([score_of(ra, name) for ra, _ in pairs])
        y = np.array([score_of(rb, name) for _, rb in pairs])
        clusters = [ra.metadata.get("group") for ra, _ in pairs]
        comp = compare_paired(name, x, y, clusters=clusters, confidence=1 - alpha, rng=seed)
        pending.append((task, name, comp, float(np.nanmean(x)), float(np.nanmean(y)), unmatched, x, y))

    tasks: list[TaskComparison] = []
    if pending:
        p_values = np.array([p[2].p_value for p in pending])
        finite = np.isfinite(p_values)
        adjusted = np.full(p_values.shape, math.nan)
        reject = np.zeros(p_values.shape, dtype=bool)
        if finite.any():
            corr = correct(p_values[finite], correction, alpha)
            adjusted[finite], reject[finite] = corr.adjusted, corr.reject
        for (task, name, comp, sa, sb, unmatched, _, _), p_adj, rej in zip(pending, adjusted, reject):
            tasks.append(TaskComparison(task, name, sa, sb, comp, float(p_adj), bool(rej), unmatched))

    mean = iqm = None
    usable = [(x[~(np.isnan(x) | np.isnan(y))], y[~(np.isnan(x) | np.isnan(y))]) for *_, x, y in pending]
    usable = [(x, y) for x, y in usable if x.size]
    if usable:
        xs, ys = [u[0] for u in usable], [u[1] for u in usable]
        mean = paired_across_tasks(xs, ys, mean_over_tasks, 1 - alpha, rng=seed)
        if len(usable) >= 4:  # the IQM trims a quarter at each end: it needs a few tasks
            iqm = paired_across_tasks(xs, ys, iqm_over_tasks, 1 - alpha, rng=seed)
    return RunComparison(a.model, b.model, a.run_id, b.run_id, tasks, correction, alpha, mean, iqm, skipped)
