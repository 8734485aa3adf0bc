"""The terminal summary: each task's metrics with n, standard error and 95% interval."""

from __future__ import annotations

import math
from typing import Any, Mapping

from rich.table import Table


def _pct(x: float) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}"


def results_table(results: Mapping[str, Any], title: str | None = None) -> Table:
    """A rich table from a `results.json`-shaped dict (so it works on saved runs too).

    Scores are shown in percent; the interval is the 95% CI named in the method column.
    """
    table = Table(title=title or f"{results.get('model', '')}  run {results.get('run_id', '')}")
    for col, justify in [("task", "left"), ("metric", "left"), ("score %", "right"), ("95% CI", "right"),
                         ("± se", "right"), ("n", "right"), ("failed", "right"), ("CI method", "left")]:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for task, data in results.get("tasks", {}).items():
        for i, (name, m) in enumerate(data["metrics"].items()):
            table.add_row(
                task if i == 0 else "",
                name,
                _pct(m["value"]),
                f"[{_pct(m['ci_low'])}, {_pct(m['ci_high'])}]",
                _pct(m["stderr"]),
                str(m["n"]),
                str(m.get("n_failed", 0)),
                m["method"],
            )
    return table
