"""`assay power`: the smallest difference a benchmark of n items can resolve, and the n a
target difference needs — from a saved run's tasks or from given n and p."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rich.table import Table

from assay.errors import ConfigError
from assay.stats import (
    Design,
    minimum_detectable_difference,
    minimum_detectable_difference_binomial,
    required_n,
    required_n_binomial,
)
from assay.store import load_run_dir


@dataclass(frozen=True)
class PowerRow:
    task: str
    n: int
    mean: float
    variance: float
    binary: bool


def _rows_from_run(path: str) -> list[PowerRow]:
    run = load_run_dir(path)
    rows = []
    for task in run.results["tasks"]:
        metrics = run.task_metrics(task)
        if not metrics:
            continue
        values = np.array([v for r in run.rows(task) if (v := r["scores"].get(metrics[0])) is not None], dtype=float)
        if values.size < 2:
            continue
        binary = bool(np.isin(values, (0.0, 1.0)).all())
        rows.append(PowerRow(f"{task} ({metrics[0]})", values.size, float(values.mean()),
                             float(values.var(ddof=1)), binary))
    return rows


def _fmt(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{100 * x:.1f}"


def power_table(run: str | None, *, n: int | None, p: float | None, sd: float | None, target: float | None,
                alpha: float = 0.05, power: float = 0.8) -> Table:
    """Rows: n, baseline, MDD for two models on separate items (unpaired), MDD for paired
    items when the sd of differences is known, and the n needed for `target`."""
    if run is not None:
        rows = _rows_from_run(run)
    elif n is not None and p is not None:
        if not 0 <= p <= 1:
            raise ConfigError("must lie in [0, 1]", field="--p")
        rows = [PowerRow("(given)", n, p, p * (1 - p), True)]
    else:
        raise ConfigError("give a run directory, or both --n and --p", field="--n/--p",
                          hint="assay power runs/my-run   or   assay power --n 200 --p 0.6 --target 0.05")
    table = Table(title=f"what these benchmarks can resolve (alpha {alpha}, power {power})",
                  caption="MDD = minimum detectable difference (points of %). Two models on the SAME items "
                          "usually resolve much less: `assay compare` reports the paired MDD.")
    for col in ("task", "n", "score %", "MDD unpaired", "MDD paired (given sd)", "n for target (unpaired)",
                "n for target (paired)"):
        table.add_column(col, justify="left" if col == "task" else "right")
    for row in rows:
        if row.binary:
            mdd_u = minimum_detectable_difference_binomial(row.n, row.mean, alpha, power)
        else:
            mdd_u = minimum_detectable_difference(row.n, row.variance, Design.UNPAIRED, alpha, power)
        mdd_p = minimum_detectable_difference(row.n, sd**2, Design.PAIRED, alpha, power) if sd else math.nan
        need_u = need_p = "—"
        if target:
            if row.binary and 0 <= row.mean + target <= 1:
                need_u = str(required_n_binomial(row.mean, row.mean + target, alpha, power))
            elif not row.binary:
                need_u = str(required_n(target, row.variance, Design.UNPAIRED, alpha, power))
            if sd:
                need_p = str(required_n(target, sd**2, Design.PAIRED, alpha, power))
        table.add_row(row.task, str(row.n), _fmt(row.mean), _fmt(mdd_u), _fmt(mdd_p), need_u, need_p)
    return table
