"""Terminal tables for the prompt-robustness analyses (scores in percent)."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
from rich.table import Table

from assay.analyses.robustness import (
    ConsistencyReport, ExtremeSearch, FormatSpread, InstructionGrid, OrderReport, PerturbationReport,
    VersionReport,
)


def _pct(x: float) -> str:
    return "—" if x is None or x != x else f"{100 * x:.1f}"


def _table(title: str, columns: Sequence[str]) -> Table:
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    return table


def spread_table(spreads: Sequence[FormatSpread]) -> Table:
    """Per task: the default format's score next to the spread over all formats."""
    t = _table("Format spread (accuracy %, Wilson 95% CI per format)",
               ["task", "formats", "default [CI]", "min [CI]", "max [CI]", "range", "std", "worst", "best"])
    for s in spreads:
        d, lo, hi = s.default, s.worst, s.best
        t.add_row(
            s.task, str(len(s.scores)),
            "—" if d is None else f"{_pct(d.accuracy)} [{_pct(d.ci_low)}, {_pct(d.ci_high)}]",
            f"{_pct(lo.accuracy)} [{_pct(lo.ci_low)}, {_pct(lo.ci_high)}]",
            f"{_pct(hi.accuracy)} [{_pct(hi.ci_low)}, {_pct(hi.ci_high)}]",
            _pct(s.range), _pct(s.std), lo.format, hi.format,
        )
    return t


def extremes_table(task: str, search: ExtremeSearch, format_ids: Sequence[str]) -> Table:
    t = _table(f"Thompson-sampling search on {task}", ["", "format", "accuracy", "calls"])
    t.add_row("best found", format_ids[search.best.arm], _pct(search.true_accuracy[search.best.arm]),
              str(search.best.calls))
    t.add_row("worst found", format_ids[search.worst.arm], _pct(search.true_accuracy[search.worst.arm]),
              str(search.worst.calls))
    found = search.calls_to_find()
    t.add_row("calls to find both", "", "", "not found" if found is None else str(found))
    t.add_row("exhaustive", f"[{_pct(min(search.true_accuracy))}, {_pct(max(search.true_accuracy))}]", "",
              str(search.exhaustive_calls))
    return t


def order_table(task: str, report: OrderReport) -> Table:
    t = _table(f"Option order on {task}", ["permutation", "accuracy"])
    for name, acc in report.accuracy.items():
        t.add_row(name, _pct(acc))
    t.add_row("spread", _pct(report.spread))
    letters = [chr(65 + i) for i in range(len(report.pick_rate))]
    t.add_row("picks vs base", "  ".join(f"{l}:{_pct(p)}/{_pct(b)}" for l, p, b in
                                         zip(letters, report.pick_rate, report.base_rate)))
    t.add_row("position bias (TV)", _pct(report.total_variation))
    return t


def consistency_table(task: str, r: ConsistencyReport) -> Table:
    t = _table(f"Consistency on {task} (m={r.m}, {r.n_items} items)", ["measure", "%"])
    for name, value in [("agreement", r.agreement), ("fully consistent", r.fully_consistent),
                        ("majority-vote accuracy", r.majority_accuracy), ("mean accuracy", r.mean_accuracy)]:
        t.add_row(name, _pct(value))
    return t


def versions_table(task: str, r: VersionReport) -> Table:
    t = _table(f"Randomized versions of {task} ({r.versions} versions, {r.n_items} items)", ["measure", "%"])
    for i, acc in enumerate(r.per_version):
        t.add_row(f"version {i}", _pct(acc))
    t.add_row("AAcc (mean)", _pct(r.average_accuracy))
    t.add_row("EAcc (all versions right)", _pct(r.effective_accuracy))
    t.add_row("reasoning gap Δ", _pct(r.reasoning_gap))
    return t


def perturbation_table(task: str, reports: Sequence[PerturbationReport]) -> Table:
    t = _table(f"Answer-preserving rewrites of {task}", ["rewrite", "original", "rewritten", "diff [95% CI]", "p"])
    for r in reports:
        c = r.comparison
        t.add_row(r.perturbation, _pct(r.original), _pct(r.rewritten),
                  f"{_pct(c.diff)} [{_pct(c.ci_low)}, {_pct(c.ci_high)}]", f"{c.p_value:.3f}")
    return t


def _signed(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x:+.1f}"


def grid_tables(g: InstructionGrid, scores: np.ndarray | None = None,
                texts: Mapping[str, str] | None = None, sizes: Mapping[str, int] | None = None) -> list[Table]:
    """The models x instructions grid as three tables: the raw scores per task and model
    (when `scores`, (tasks x models x instructions), is given, with each task's item count
    from `sizes`), the models' metrics and the instructions' metrics (with their text when
    `texts` is given)."""
    tables = []
    if scores is not None:
        t = _table("Score per instruction (%)", ["task", "model", *g.instructions, "best"])
        t.columns[1].justify = "left"
        for d, task in enumerate(g.datasets):
            for i, model in enumerate(g.models):
                label = f"{task} (n={sizes[task]})" if sizes and task in sizes else task
                t.add_row(label if i == 0 else "", model, *(_pct(float(x)) for x in scores[d, i]),
                          _pct(float(g.best_performance[d, i])))
        tables.append(t)
    models = _table(f"Models over {len(g.instructions)} instructions and {len(g.datasets)} task(s)",
                    ["model", "best perf %", "MRG %", "stability (sd, pts)"]
                    + [f"top-{g.top_k} {name}" for name in g.instructions])
    for i, m in enumerate(g.models):
        models.add_row(m, _pct(float(g.best_performance[:, i].mean())), _signed(float(g.model_mrg[i])),
                       _pct(float(g.model_stability[i])), *(_pct(float(a)) for a in g.adaptability[i]))
    models.caption = ("best perf: max over instructions (mean over tasks); "
                      "MRG: mean relative gain over all models' mean; "
                      f"top-{g.top_k}: % of tasks where the instruction is among the model's top {g.top_k}")
    tables.append(models)
    instr = _table(f"Instructions over {len(g.models)} models",
                   ["instruction", "MRG %", "stability (sd, pts)", f"top-{g.top_k} hit %"]
                   + (["text"] if texts is not None else []))
    if texts is not None:
        instr.columns[-1].justify = "left"
    for j, name in enumerate(g.instructions):
        instr.add_row(name, _signed(float(g.instruction_mrg[j])), _pct(float(g.instruction_stability[j])),
                      _pct(float(g.global_hit_ratio[j])), *([texts.get(name, "")] if texts is not None else []))
    instr.caption = ("MRG: mean relative gain over each model's mean across instructions; "
                     f"top-{g.top_k} hit: % of (model, task) pairs where it is among the top {g.top_k}")
    tables.append(instr)
    return tables
