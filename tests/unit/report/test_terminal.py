"""The terminal results table, and its inline format spread after `assay run --formats K`."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table

from assay.analyses.robustness.runner import run_format_spread
from assay.analyses.summaries import task_groups
from assay.core.run import Run
from assay.engine.cache import ResponseCache
from assay.report.terminal import results_table
from assay.tasks.builtin import make_builtin
from assay.tasks.format_grammar import sample_formats
from assay.testing import InstantModel


def rows_of(table: Table) -> tuple[list[str], list[list[str]]]:
    """Header and body cells as rendered text (wide enough that nothing wraps)."""
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(table)
    lines = console.export_text().splitlines()
    header = next(line for line in lines if line.startswith("┃"))
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in lines if line.startswith("│")]
    return [c.strip() for c in header.split("┃")[1:-1]], cells


def metric(value: float | None, n: int = 20) -> dict[str, Any]:
    return {"name": "acc", "value": value, "n": n, "stderr": 0.1, "ci_low": 0.1, "ci_high": 0.9,
            "method": "wilson", "n_failed": 0}


def task(fmt: str, acc: float | None, acc_norm: float | None, n: int = 20) -> dict[str, Any]:
    return {"format": {"id_for_test": fmt}, "n": n, "metrics": {"acc": metric(acc, n), "acc_norm": metric(acc_norm, n)}}


def run_of(tasks: dict[str, Any]) -> Run:
    return Run.from_dict({"model": "m", "run_id": "r", "tasks": tasks})


FORMATS_RUN = {
    "arith-mc@fmt-1": task("fmt-1", 0.30, 0.40),
    "arith-mc@default": task("default", 0.50, 0.45, n=21),
    "arith-mc@fmt-2": task("fmt-2", 0.70, None),
    "logic-mc@default": task("default", 0.25, 0.20),
    "logic-mc@fmt-1": task("fmt-1", 0.35, 0.30),
    "word-mc": task("default", 0.60, 0.55),
}


def test_inline_spread_columns_after_the_default_format_score() -> None:
    header, rows = rows_of(results_table(run_of(FORMATS_RUN)))
    assert header[:7] == ["task", "metric", "score %", "95% CI", "formats", "min–max", "range"]
    assert rows == [
        # the @default variant is the shown row even when it is not the first
        ["arith-mc", "acc", "50.0", "[10.0, 90.0]", "3", "30.0–70.0", "40.0", "10.0", "21", "0", "wilson"],
        ["", "acc_norm", "45.0", "[10.0, 90.0]", "3", "40.0–45.0", "5.0", "10.0", "21", "0", "wilson"],
        ["logic-mc", "acc", "25.0", "[10.0, 90.0]", "2", "25.0–35.0", "10.0", "10.0", "20", "0", "wilson"],
        ["", "acc_norm", "20.0", "[10.0, 90.0]", "2", "20.0–30.0", "10.0", "10.0", "20", "0", "wilson"],
        ["word-mc", "acc", "60.0", "[10.0, 90.0]", "1", "—", "—", "10.0", "20", "0", "wilson"],
        ["", "acc_norm", "55.0", "[10.0, 90.0]", "1", "—", "—", "10.0", "20", "0", "wilson"],
    ]


def test_no_spread_columns_for_a_single_format_run() -> None:
    run = run_of({"arith-mc": task("default", 0.5, 0.5), "logic-mc": task("default", 0.3, 0.2)})
    header, rows = rows_of(results_table(run))
    assert header == ["task", "metric", "score %", "95% CI", "± se", "n", "failed", "CI method"]
    assert [r[0] for r in rows] == ["arith-mc", "", "logic-mc", ""]


def test_variants_in_one_format_are_not_a_spread() -> None:
    # e.g. instruction variants TASK@NAME all in the default format: separate rows
    tasks = {"arith-mc@a": task("default", 0.5, 0.5), "arith-mc@b": task("default", 0.3, 0.2)}
    assert [(r.label, r.variants) for r in task_groups(run_of(tasks))] == [("arith-mc@a", ("arith-mc@a",)),
                                                                 ("arith-mc@b", ("arith-mc@b",))]


def test_without_a_default_variant_the_first_format_is_shown() -> None:
    tasks = {"t@fmt-a": task("fmt-a", 0.5, 0.5), "t@fmt-b": task("fmt-b", 0.3, 0.2)}
    (row,) = task_groups(run_of(tasks))
    assert (row.label, row.shown, row.variants) == ("t", "t@fmt-a", ("t@fmt-a", "t@fmt-b"))


def test_inline_columns_match_the_format_spread_of_a_real_run() -> None:
    formats = sample_formats(3, 0)
    run, (spread,) = run_format_spread(InstantModel(), [make_builtin("arith-mc", 8, 0)], formats,
                                       ResponseCache(None))
    _, rows = rows_of(results_table(run))
    acc = next(r for r in rows if r[1] == "acc")
    assert acc[0] == "arith-mc" and acc[2] == f"{100 * spread.default.accuracy:.1f}"
    assert acc[4:7] == ["3", f"{100 * spread.min:.1f}–{100 * spread.max:.1f}", f"{100 * spread.range:.1f}"]


@pytest.mark.parametrize("values, expected", [
    ([None, None], ["2", "—", "—"]),
    ([0.5, None, 0.25], ["3", "25.0–50.0", "25.0"]),
])
def test_failed_formats_are_left_out_of_the_spread(values: list[float | None], expected: list[str]) -> None:
    tasks = {f"t@f{i}": task(f"f{i}", v, v) for i, v in enumerate(values)}
    _, rows = rows_of(results_table(run_of(tasks)))
    assert rows[0][4:7] == expected
