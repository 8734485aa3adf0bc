"""The terminal summary: each task's metrics with n, standard error and 95% interval, and the
spread across prompt formats when the run evaluated its tasks in several."""

from __future__ import annotations

import math
from rich.table import Table

from assay.analyses.summaries import FormatRange, format_range, task_groups
from assay.core.run import Run
from assay.report.display import metric_text


def _pct(x: float | None) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}"


def _spread_cells(r: FormatRange) -> list[str]:
    """formats, min–max and range of one metric over a task's format variants."""
    if r.low is None or r.high is None:
        return [str(r.n_formats), "—", "—"]
    return [str(r.n_formats), f"{_pct(r.low)}–{_pct(r.high)}", _pct(r.range)]


def results_table(run: Run, title: str | None = None) -> Table:
    """A rich table of a run's task scores.

    Scores are shown in percent; the interval is the 95% CI named in the method column. When
    tasks ran under several prompt formats, each has one row: the default format's score, CI,
    se and n, and over all its formats the count, min–max and range (in points) of each metric.
    """
    groups = task_groups(run)
    spread = any(len(g.variants) > 1 for g in groups)
    table = Table(title=title or f"{run.model}  run {run.run_id}")
    columns = [("task", "left"), ("metric", "left"), ("score %", "right"), ("95% CI", "right")]
    if spread:
        columns += [("formats", "right"), ("min–max", "right"), ("range", "right")]
        table.caption = ("score, CI, ± se, n, failed: the default prompt format; "
                         "formats, min–max, range: over the task's formats (% and points)")
    columns += [("± se", "right"), ("n", "right"), ("failed", "right"), ("CI method", "left")]
    for col, justify in columns:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for group in groups:
        for i, (name, m) in enumerate(run.tasks[group.shown].metrics.items()):
            shown = (lambda x, m=m: metric_text(m, x))  # percentages, or raw numbers for perplexities
            cells = [group.label if i == 0 else "", name, shown(m.value), f"[{shown(m.ci_low)}, {shown(m.ci_high)}]"]
            if spread:
                cells += _spread_cells(format_range(run, group, name))
            cells += [shown(m.stderr), str(m.n), str(m.n_failed), m.method]
            table.add_row(*cells)
    return table
