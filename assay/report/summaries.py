"""What the HTML report and the dashboard show, computed once: task scores, breakdowns, spreads.

Every number comes with its uncertainty (a `MetricSummary`: value, n, stderr, 95% CI,
method). Breakdowns by family, skill and difficulty pool each sample's score on its task's
*primary* metric (the task's first, e.g. `acc`), with the interval of `assay.stats.summarize`
(clustered by the items' group ids when they have them). The mean over tasks of one model
is the plain mean of its task scores; its standard error combines the tasks' standard
errors (the tasks' items are independent samples): se = sqrt(sum se_t^2) / T, and the 95%
interval is the normal one. Leaderboards average only the tasks every listed model has, so
the means compare like with like.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from scipy.stats import norm

from assay.core.results import MetricSummary
from assay.stats import summarize
from assay.store.rundir import SavedRun

BREAKDOWN_KEYS = ("family", "skills", "difficulty")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def metric_summary(data: dict[str, Any], name: str = "") -> MetricSummary:
    """A `MetricSummary` from its dict in results.json (null = NaN)."""
    def num(key: str) -> float:
        value = data.get(key)
        return math.nan if value is None else float(value)

    return MetricSummary(str(data.get("name", name)), num("value"), int(data.get("n") or 0), num("stderr"),
                         num("ci_low"), num("ci_high"), str(data.get("method", "")), int(data.get("n_failed") or 0))


def task_metrics(run: SavedRun) -> dict[str, dict[str, MetricSummary]]:
    """{task: {metric: summary}} in the order of results.json (a task's first metric is primary)."""
    return {task: {name: metric_summary(m, name) for name, m in (info.get("metrics") or {}).items()}
            for task, info in run.results.get("tasks", {}).items()}


def primary_metric(run: SavedRun, task: str) -> str | None:
    names = run.task_metrics(task)
    return names[0] if names else None


def score_of(row: dict[str, Any], metric: str | None) -> float:
    value = (row.get("scores") or {}).get(metric) if metric else None
    return math.nan if value is None else float(value)


def mean_over_tasks(summaries: Sequence[MetricSummary], confidence: float = 0.95) -> MetricSummary | None:
    """Mean of task scores with the combined standard error (see the module docstring)."""
    usable = [s for s in summaries if math.isfinite(s.value)]
    if not usable or len(usable) != len(summaries):
        return None
    t = len(usable)
    value = sum(s.value for s in usable) / t
    stderr = math.sqrt(sum((s.stderr if math.isfinite(s.stderr) else 0.0) ** 2 for s in usable)) / t
    z = float(norm.ppf(0.5 + confidence / 2))
    low, high = value - z * stderr, value + z * stderr
    if all(0.0 <= s.value <= 1.0 for s in usable):  # proportions: keep the interval in [0, 1]
        low, high = max(0.0, low), min(1.0, high)
    return MetricSummary("mean over tasks", value, sum(s.n for s in usable), stderr, low, high,
                         f"normal, {t} task SEs", sum(s.n_failed for s in usable))


def _labels(row: dict[str, Any], key: str) -> list[str]:
    value = (row.get("metadata") or {}).get(key)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def breakdown(run: SavedRun, key: str) -> dict[str, MetricSummary]:
    """Primary-metric score per value of metadata `key` (a sample with several skills counts
    once in each), sorted by label (numerically for difficulty levels)."""
    values: dict[str, list[float]] = defaultdict(list)
    groups: dict[str, list[Any]] = defaultdict(list)
    primary = {task: primary_metric(run, task) for task in run.results.get("tasks", {})}
    for row in run.samples:
        for label in _labels(row, key):
            values[label].append(score_of(row, primary.get(row["task"])))
            groups[label].append((row.get("metadata") or {}).get("group"))

    def order(label: str) -> tuple[int, float, str]:
        try:
            return (0, float(label), label)
        except ValueError:
            return (1, 0.0, label)

    return {label: summarize(label, values[label], clusters=groups[label]) for label in sorted(values, key=order)}


def format_spread(run: SavedRun) -> dict[str, dict[str, MetricSummary]]:
    """{task: {format: primary-metric summary}} for the tasks scored in more than one format."""
    by_task: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in run.samples:
        by_task[row["task"]][str(row.get("format") or "default")].append(row)
    out = {}
    for task, formats in by_task.items():
        if len(formats) < 2:
            continue
        metric = primary_metric(run, task)
        out[task] = {
            fmt: summarize(fmt, [score_of(r, metric) for r in rows],
                           clusters=[(r.get("metadata") or {}).get("group") for r in rows])
            for fmt, rows in formats.items()
        }
    return out


def display_value(value: Any, metadata: dict[str, Any] | None = None) -> str:
    """A response, answer or target as a person reads it: an option index becomes
    "C. 52" when the item's choices are known; log-probabilities are rounded."""
    choices = (metadata or {}).get("choices")
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int) and isinstance(choices, list) and 0 <= value < len(choices):
        letter = _LETTERS[value] if value < len(_LETTERS) else str(value)
        return f"{letter}. {choices[value]}"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return "[" + ", ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in value) + "]"
        return ", ".join(display_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {display_value(v)}" for k, v in value.items())
    return str(value)


def percent(x: float | None, digits: int = 1) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{100 * x:.{digits}f}"


# -- leaderboard ------------------------------------------------------------------------------

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


def run_scores(run: SavedRun) -> list[TaskScore]:
    started = (run.results.get("manifest") or {}).get("started")
    return [TaskScore(run.model, run.run_id, started, task, name, position, summary)
            for task, metrics in task_metrics(run).items()
            for position, (name, summary) in enumerate(metrics.items())]


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
    tasks = task_order
    common = [t for t in tasks if all((m, t) in chosen for m in models)]
    rows = []
    for model in models:
        row_scores = {t: chosen[(model, t)] for t in tasks if (model, t) in chosen}
        mean = mean_over_tasks([row_scores[t].summary for t in common]) if common else None
        rows.append(LeaderboardRow(model, row_scores, mean))
    rows.sort(key=lambda r: -(r.mean.value if r.mean and math.isfinite(r.mean.value) else -math.inf))
    return Leaderboard(tasks, common, rows, metric)
