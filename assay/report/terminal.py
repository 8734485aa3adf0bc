"""The terminal summary: each task's metrics with n, standard error and 95% interval, and the
spread across prompt formats when the run evaluated its tasks in several."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from rich.table import Table

from assay.analyses.robustness.spread import FORMAT_TASK_SEP, base_task

DEFAULT_FORMAT_ID = "default"
"""`PromptFormat().id`: the variant `TASK@default` is the task in its default format."""


def _pct(x: float) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}"


@dataclass(frozen=True)
class TaskRow:
    """One task of the table: `shown` is the results entry whose metrics fill the row;
    `variants` are its prompt-format variants (just `shown` for a task run in one format)."""

    label: str
    shown: str
    variants: tuple[str, ...]


def _format_key(name: str, data: Mapping[str, Any]) -> str:
    fmt = data.get("format")
    return repr(sorted(fmt.items())) if isinstance(fmt, Mapping) else name.partition(FORMAT_TASK_SEP)[2]


def task_rows(tasks: Mapping[str, Any]) -> list[TaskRow]:
    """Group `results["tasks"]` by base task: the variants TASK@FORMAT_ID of a `run --formats K`
    (distinct formats) become one row shown by the default format: the `@default` variant, else
    the first (`sample_formats` puts the default first). Anything else keeps a row of its own."""
    groups: dict[str, list[str]] = {}
    for name in tasks:
        groups.setdefault(base_task(name), []).append(name)
    rows: list[TaskRow] = []
    for base, names in groups.items():
        formats = {_format_key(n, tasks[n]) for n in names}
        if len(names) > 1 and len(formats) == len(names):
            default = next((n for n in names if n == f"{base}{FORMAT_TASK_SEP}{DEFAULT_FORMAT_ID}"), names[0])
            rows.append(TaskRow(base, default, tuple(names)))
        else:
            rows.extend(TaskRow(n, n, (n,)) for n in names)
    return rows


def _spread_cells(values: Sequence[float | None]) -> list[str]:
    """formats, min–max and range of one metric over a task's format variants."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if len(values) < 2 or len(finite) < 2:
        return [str(len(values)), "—", "—"]
    lo, hi = min(finite), max(finite)
    return [str(len(values)), f"{_pct(lo)}–{_pct(hi)}", _pct(hi - lo)]


def results_table(results: Mapping[str, Any], title: str | None = None) -> Table:
    """A rich table from a `results.json`-shaped dict (so it works on saved runs too).

    Scores are shown in percent; the interval is the 95% CI named in the method column. When
    tasks ran under several prompt formats, each has one row: the default format's score, CI,
    se and n, and over all its formats the count, min–max and range (in points) of each metric.
    """
    tasks = results.get("tasks", {})
    rows = task_rows(tasks)
    spread = any(len(r.variants) > 1 for r in rows)
    table = Table(title=title or f"{results.get('model', '')}  run {results.get('run_id', '')}")
    columns = [("task", "left"), ("metric", "left"), ("score %", "right"), ("95% CI", "right")]
    if spread:
        columns += [("formats", "right"), ("min–max", "right"), ("range", "right")]
        table.caption = ("score, CI, ± se, n, failed: the default prompt format; "
                         "formats, min–max, range: over the task's formats (% and points)")
    columns += [("± se", "right"), ("n", "right"), ("failed", "right"), ("CI method", "left")]
    for col, justify in columns:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        for i, (name, m) in enumerate(tasks[row.shown]["metrics"].items()):
            ci = f"[{_pct(m['ci_low'])}, {_pct(m['ci_high'])}]"
            cells = [row.label if i == 0 else "", name, _pct(m["value"]), ci]
            if spread:
                cells += _spread_cells([(tasks[v]["metrics"].get(name) or {}).get("value") for v in row.variants])
            cells += [_pct(m["stderr"]), str(m["n"]), str(m.get("n_failed", 0)), m["method"]]
            table.add_row(*cells)
    return table
