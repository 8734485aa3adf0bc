"""`assay power` as a table: the smallest difference a benchmark of n items can resolve, and the
n a target difference needs (computed by `assay.analyses.summaries.power_estimates`)."""

from __future__ import annotations

import math
from typing import Sequence

from rich.table import Table

from assay.analyses.summaries import PowerEstimate


def _fmt(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{100 * x:.1f}"


def _n(x: int | None) -> str:
    return "—" if x is None else str(x)


def power_estimates_table(estimates: Sequence[PowerEstimate], *, alpha: float = 0.05, power: float = 0.8) -> Table:
    """Rows: n, baseline, MDD for two models on separate items (unpaired), MDD for paired
    items when the sd of differences is known, and the n needed for the target."""
    table = Table(title=f"what these benchmarks can resolve (alpha {alpha}, power {power})",
                  caption="MDD = minimum detectable difference (points of %). Two models on the SAME items "
                          "usually resolve much less: `assay compare` reports the paired MDD.")
    for col in ("task", "n", "score %", "MDD unpaired", "MDD paired (given sd)", "n for target (unpaired)",
                "n for target (paired)"):
        table.add_column(col, justify="left" if col == "task" else "right")
    for e in estimates:
        table.add_row(e.basis.task, str(e.basis.n), _fmt(e.basis.mean), _fmt(e.mdd_unpaired), _fmt(e.mdd_paired),
                      _n(e.n_for_target_unpaired), _n(e.n_for_target_paired))
    return table
