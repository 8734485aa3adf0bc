"""`assay power` as a table: the smallest difference a benchmark of n items can resolve, and the
n a target difference needs (computed by `assay.analyses.summaries.power_estimates`)."""

from __future__ import annotations

import math
from typing import Sequence

from rich.table import Table

from assay.analyses.summaries import PowerEstimate, given_power_basis, power_bases, power_estimates
from assay.errors import ConfigError


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


def power_table(run: str | None, *, n: int | None, p: float | None, sd: float | None, target: float | None,
                alpha: float = 0.05, power: float = 0.8) -> Table:
    """Transitional, for the CLI until it calls `power_bases` / `given_power_basis`,
    `power_estimates` and `power_estimates_table` itself: the table for a run directory, or
    for given n and p."""
    if run is not None:
        from assay.store import load_run

        bases = power_bases(load_run(run))
    elif n is not None and p is not None:
        bases = [given_power_basis(n, p)]
    else:
        raise ConfigError("give a run directory, or both --n and --p", field="--n/--p",
                          hint="assay power runs/my-run   or   assay power --n 200 --p 0.6 --target 0.05")
    estimates = power_estimates(bases, sd=sd, target=target, alpha=alpha, power=power)
    return power_estimates_table(estimates, alpha=alpha, power=power)
