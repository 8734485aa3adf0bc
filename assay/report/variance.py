"""Terminal table for repeated runs: the score, its standard error, and where the noise comes from."""

from __future__ import annotations

import math
from typing import Sequence

from rich.table import Table

from assay.analyses.repeats import TaskVariance


def _f(x: float, scale: float = 100.0, digits: int = 1) -> str:
    return "—" if not math.isfinite(x) else f"{scale * x:.{digits}f}"


def variance_table(rows: Sequence[TaskVariance]) -> Table:
    table = Table(title="repeated runs: item vs run variance",
                  caption="se = standard error of the mean (items and runs random); se runs only = if the same "
                          "items were rerun. Variances in squared score units x 10^4.")
    for col in ("task", "metric", "items", "runs", "mean %", "se", "se runs only", "within-item var",
                "between-run var", "run share"):
        table.add_column(col, justify="left" if col in ("task", "metric") else "right")
    for r in rows:
        d = r.decomposition
        table.add_row(r.task, r.metric, str(d.n_items) + (f" (-{r.dropped})" if r.dropped else ""), str(d.n_runs),
                      _f(d.mean), _f(d.stderr), _f(d.stderr_items_fixed), _f(d.within_item_variance, 1e4),
                      _f(d.between_run_variance, 1e4), _f(d.run_share, 100, 0) + "%")
    return table
