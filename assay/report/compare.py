"""Terminal table of a two-run comparison: per-task paired differences and the aggregate."""

from __future__ import annotations

import math

from rich.table import Table

from assay.analyses.compare import RunComparison


def _pct(x: float, signed: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{100 * x:+.1f}" if signed else f"{100 * x:.1f}"


def _p(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return "<0.001" if x < 0.001 else f"{x:.3f}"


def comparison_table(c: RunComparison) -> Table:
    """One row per task: both scores, A − B with its paired 95% CI, the test, raw and corrected
    p, and whether n items can resolve a difference this size (the minimum detectable one)."""
    table = Table(title=f"A = {c.model_a} ({c.run_a})   vs   B = {c.model_b} ({c.run_b})",
                  caption=f"scores in %; p corrected by {c.correction.value} across {len(c.tasks)} tasks; "
                          f"MDD = minimum detectable difference at 80% power, alpha {c.alpha}")
    for col, justify in [("task", "left"), ("metric", "left"), ("A", "right"), ("B", "right"),
                         ("A − B", "right"), ("95% CI", "right"), ("n", "right"), ("test", "left"),
                         ("p", "right"), ("p adj", "right"), ("MDD", "right"), ("verdict", "left")]:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for t in c.tasks:
        comp = t.comparison
        if t.significant:
            verdict = "[green]A better[/]" if comp.diff > 0 else "[red]B better[/]"
        elif not comp.resolvable:
            verdict = "[yellow]below resolution[/]"
        else:
            verdict = "no significant difference"
        table.add_row(
            t.task, t.metric, _pct(t.score_a), _pct(t.score_b), _pct(comp.diff, True),
            f"[{_pct(comp.ci_low, True)}, {_pct(comp.ci_high, True)}]", str(comp.n), comp.test.value,
            _p(comp.p_value), _p(t.p_adjusted), _pct(comp.minimum_detectable_difference), verdict,
        )
    for label, agg in (("mean over tasks", c.mean), ("IQM over tasks", c.iqm)):
        if agg is None:
            continue
        d = agg.difference
        table.add_row(
            f"[bold]{label}[/]", "", _pct(agg.a.estimate), _pct(agg.b.estimate), _pct(d.estimate, True),
            f"[{_pct(d.low, True)}, {_pct(d.high, True)}]", str(agg.num_tasks) + " tasks", "item bootstrap",
            "", "", "", "A better" if d.low > 0 else "B better" if d.high < 0 else "CI spans 0",
        )
    return table
