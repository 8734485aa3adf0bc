"""What reports and the dashboard show about runs, computed here once: task scores across
tasks, breakdowns, format spreads, leaderboards and power. The views only render.

Every number comes with its uncertainty (a `MetricSummary`: value, n, stderr, 95% CI,
method). Breakdowns by family, skill and difficulty pool each sample's score on its task's
*primary* metric (the task's first, e.g. `acc`), with the interval of `assay.stats.summarize`
(clustered by the items' group ids when they have them). The mean over tasks of one model
is the plain mean of its task scores; its standard error combines the tasks' standard
errors (the tasks' items are independent samples): se = sqrt(sum se_t^2) / T, and the 95%
interval is the normal one. Leaderboards average only the tasks every listed model has, so
the means compare like with like.

A run evaluated under several prompt formats (`assay run --formats K`) holds one task per
format, named `TASK@FORMAT_ID`; `task_groups` gathers them back under their task, and the
format spread is read from those variants.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np
from scipy.stats import norm

from assay.core.results import MetricSummary, SampleRecord
from assay.core.run import Run, TaskResult
from assay.errors import ConfigError
from assay.stats import (
    Design,
    minimum_detectable_difference,
    minimum_detectable_difference_binomial,
    required_n,
    required_n_binomial,
    summarize,
)

BREAKDOWN_KEYS = ("family", "skills", "difficulty")
FORMAT_SEP = "@"
DEFAULT_FORMAT_ID = "default"
"""`PromptFormat().id`: the variant `TASK@default` is the task in its default format."""


def score_of(record: SampleRecord, metric: str | None) -> float:
    """The record's score on `metric` (NaN when it has none: a failed or unscored sample)."""
    value = record.scores.get(metric) if metric else None
    return math.nan if value is None else float(value)


def primary_summary(run: Run, task: str) -> MetricSummary | None:
    """The task's score on its primary (first) metric, or None when the run lacks it."""
    result = run.tasks.get(task)
    if result is None or result.primary_metric is None:
        return None
    return result.metrics[result.primary_metric]


def mean_of_task_scores(summaries: Sequence[MetricSummary], confidence: float = 0.95) -> MetricSummary | None:
    """Mean of task scores with the combined standard error (see the module docstring);
    None when any task has no score."""
    usable = [s for s in summaries if math.isfinite(s.value)]
    if not usable or len(usable) != len(summaries) or not all(s.is_proportion for s in usable):
        return None  # a missing score, or a perplexity among accuracies: no honest mean
    t = len(usable)
    value = sum(s.value for s in usable) / t
    stderr = math.sqrt(sum((s.stderr if math.isfinite(s.stderr) else 0.0) ** 2 for s in usable)) / t
    z = float(norm.ppf(0.5 + confidence / 2))
    low, high = value - z * stderr, value + z * stderr
    if all(0.0 <= s.value <= 1.0 for s in usable):  # proportions: keep the interval in [0, 1]
        low, high = max(0.0, low), min(1.0, high)
    return MetricSummary("mean over tasks", value, sum(s.n for s in usable), stderr, low, high,
                         f"normal, {t} task SEs", sum(s.n_failed for s in usable))


def _labels(record: SampleRecord, key: str) -> list[str]:
    value = record.metadata.get(key)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def breakdown(run: Run, key: str) -> dict[str, MetricSummary]:
    """Primary-metric score per value of metadata `key` (a sample with several skills counts
    once in each), sorted by label (numerically for difficulty levels)."""
    values: dict[str, list[float]] = defaultdict(list)
    groups: dict[str, list[Any]] = defaultdict(list)
    primary = {name: t.primary_metric for name, t in run.tasks.items()}
    for record in run.samples:
        for label in _labels(record, key):
            values[label].append(score_of(record, primary.get(record.task)))
            groups[label].append(record.metadata.get("group"))

    def order(label: str) -> tuple[int, float, str]:
        try:
            return (0, float(label), label)
        except ValueError:
            return (1, 0.0, label)

    return {label: summarize(label, values[label], clusters=groups[label]) for label in sorted(values, key=order)}


# -- prompt-format variants ---------------------------------------------------------------------

@dataclass(frozen=True)
class TaskGroup:
    """One task as a table shows it: `shown` is the task result whose metrics fill the row;
    `variants` are its prompt-format variants (just `shown` for a task run in one format)."""

    label: str
    shown: str
    variants: tuple[str, ...]


def _format_key(task: TaskResult) -> str:
    return repr(sorted(task.format.items())) if task.format else task.name.partition(FORMAT_SEP)[2]


def task_groups(run: Run) -> list[TaskGroup]:
    """The run's tasks grouped by base task: the variants TASK@FORMAT_ID of a `run --formats K`
    (distinct formats) become one group shown by the default format: the `@default` variant,
    else the first (`sample_formats` puts the default first). Variants that share a format
    (e.g. instruction variants TASK@NAME) keep a group each."""
    by_base: dict[str, list[TaskResult]] = {}
    for task in run.tasks.values():
        by_base.setdefault(task.base_name, []).append(task)
    groups: list[TaskGroup] = []
    for base, tasks in by_base.items():
        names = [t.name for t in tasks]
        if len(tasks) > 1 and len({_format_key(t) for t in tasks}) == len(tasks):
            default = next((n for n in names if n == f"{base}{FORMAT_SEP}{DEFAULT_FORMAT_ID}"), names[0])
            groups.append(TaskGroup(base, default, tuple(names)))
        else:
            groups.extend(TaskGroup(n, n, (n,)) for n in names)
    return groups


@dataclass(frozen=True)
class FormatRange:
    """One metric over a task's format variants: how many formats, and the lowest and highest
    score among those that have one (None when fewer than two do)."""

    n_formats: int
    low: float | None
    high: float | None

    @property
    def range(self) -> float | None:
        return None if self.low is None or self.high is None else self.high - self.low


def format_range(run: Run, group: TaskGroup, metric: str) -> FormatRange:
    """`metric` over the variants of `group` (failed or missing scores left out)."""
    values = [m.value for v in group.variants if (m := run.tasks[v].metrics.get(metric)) is not None]
    finite = [v for v in values if math.isfinite(v)]
    if len(group.variants) < 2 or len(finite) < 2:
        return FormatRange(len(group.variants), None, None)
    return FormatRange(len(group.variants), min(finite), max(finite))


def score_span(scores: Iterable[MetricSummary]) -> float:
    """Best minus worst of the scores that have a value (NaN when none has): a format spread."""
    values = [s.value for s in scores if math.isfinite(s.value)]
    return max(values) - min(values) if values else math.nan


def format_id(run: Run, task: str) -> str:
    """The prompt format a task result was scored under: its records' format id (else the
    name's `@FORMAT_ID` suffix, else `default`)."""
    record = next((r for r in run.samples if r.task == task and r.format), None)
    if record is not None:
        return record.format
    return task.partition(FORMAT_SEP)[2] or DEFAULT_FORMAT_ID


def format_spread(run: Run) -> dict[str, dict[str, MetricSummary]]:
    """{task: {format id: primary-metric summary}} for each task evaluated under more than one
    prompt format (the `TASK@FORMAT_ID` variants of `assay run --formats K`)."""
    out: dict[str, dict[str, MetricSummary]] = {}
    for group in task_groups(run):
        if len(group.variants) < 2:
            continue
        scores = {format_id(run, v): s for v in group.variants if (s := primary_summary(run, v)) is not None}
        if len(scores) > 1:
            out[group.label] = scores
    return out


# -- leaderboard --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaskScore:
    """One model's score on one task in one run (`position` 0 = the task's primary metric)."""

    model: str
    run_id: str
    started: str | None
    task: str
    metric: str
    position: int
    summary: MetricSummary


@dataclass(frozen=True)
class LeaderboardRow:
    model: str
    scores: dict[str, TaskScore]
    mean: MetricSummary | None


@dataclass(frozen=True)
class Leaderboard:
    tasks: list[str]
    common_tasks: list[str]
    rows: list[LeaderboardRow]
    metric: str | None


def run_scores(run: Run) -> list[TaskScore]:
    """Every (task, metric) score of a run, as leaderboard entries."""
    started = run.manifest.get("started")
    return [TaskScore(run.model, run.run_id, started, name, metric, position, summary)
            for name, task in run.tasks.items()
            for position, (metric, summary) in enumerate(task.metrics.items())]


def leaderboard(scores: Iterable[TaskScore], metric: str | None = None) -> Leaderboard:
    """Models ranked by their mean over the tasks they all have; per task, each model's most
    recent run counts. `metric`: compare on this metric where a task has it (else the
    task's primary metric)."""
    chosen: dict[tuple[str, str], TaskScore] = {}
    task_order: list[str] = []
    candidates: dict[tuple[str, str, str], list[TaskScore]] = defaultdict(list)
    for s in scores:
        candidates[(s.model, s.task, s.run_id)].append(s)
        if s.task not in task_order:
            task_order.append(s.task)
    for (model, task, _), metrics in candidates.items():
        pick = next((m for m in metrics if m.metric == metric), None) if metric else None
        pick = pick or min(metrics, key=lambda m: m.position)
        current = chosen.get((model, task))
        if current is None or (pick.started or "", pick.run_id) > (current.started or "", current.run_id):
            chosen[(model, task)] = pick
    models = sorted({m for m, _ in chosen})
    common = [t for t in task_order if all((m, t) in chosen for m in models)]
    rows = []
    for model in models:
        row_scores = {t: chosen[(model, t)] for t in task_order if (model, t) in chosen}
        mean = mean_of_task_scores([row_scores[t].summary for t in common]) if common else None
        rows.append(LeaderboardRow(model, row_scores, mean))
    rows.sort(key=lambda r: -(r.mean.value if r.mean and math.isfinite(r.mean.value) else -math.inf))
    return Leaderboard(task_order, common, rows, metric)


# -- power --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PowerBasis:
    """What a power calculation starts from: a task's n, mean score and score variance."""

    task: str
    n: int
    mean: float
    variance: float
    binary: bool


@dataclass(frozen=True)
class PowerEstimate:
    """What n items can resolve (minimum detectable differences) and the n a target needs.
    NaN / None where it does not apply (no paired sd given, no target, target out of range)."""

    basis: PowerBasis
    mdd_unpaired: float
    mdd_paired: float
    n_for_target_unpaired: int | None
    n_for_target_paired: int | None


def power_bases(run: Run) -> list[PowerBasis]:
    """Each task's n, mean and variance on its primary metric (tasks with under 2 scores are left out)."""
    bases = []
    for name, task in run.tasks.items():
        metric = task.primary_metric
        if metric is None:
            continue
        values = np.array([v for r in run.rows(name) if math.isfinite(v := score_of(r, metric))], dtype=float)
        if values.size < 2:
            continue
        binary = bool(np.isin(values, (0.0, 1.0)).all())
        bases.append(PowerBasis(f"{name} ({metric})", int(values.size), float(values.mean()),
                                float(values.var(ddof=1)), binary))
    return bases


def given_power_basis(n: int, p: float) -> PowerBasis:
    """A binary benchmark of `n` items with baseline accuracy `p`."""
    if not 0 <= p <= 1:
        raise ConfigError("must lie in [0, 1]", field="--p")
    return PowerBasis("(given)", n, p, p * (1 - p), True)


def power_estimates(bases: Sequence[PowerBasis], *, sd: float | None = None, target: float | None = None,
                    alpha: float = 0.05, power: float = 0.8) -> list[PowerEstimate]:
    """Per basis: the MDD for two models on separate items (unpaired; binomial for 0/1
    scores), for paired items when the sd of differences is known, and the n for `target`."""
    out = []
    for b in bases:
        if b.binary:
            mdd_u = minimum_detectable_difference_binomial(b.n, b.mean, alpha, power)
        else:
            mdd_u = minimum_detectable_difference(b.n, b.variance, Design.UNPAIRED, alpha, power)
        mdd_p = minimum_detectable_difference(b.n, sd**2, Design.PAIRED, alpha, power) if sd else math.nan
        need_u = need_p = None
        if target:
            if b.binary and 0 <= b.mean + target <= 1:
                need_u = required_n_binomial(b.mean, b.mean + target, alpha, power)
            elif not b.binary:
                need_u = required_n(target, b.variance, Design.UNPAIRED, alpha, power)
            if sd:
                need_p = required_n(target, sd**2, Design.PAIRED, alpha, power)
        out.append(PowerEstimate(b, float(mdd_u), float(mdd_p), need_u, need_p))
    return out
