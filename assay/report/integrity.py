"""The integrity audit as terminal tables and as an HTML report section.

Every detector row carries its measured false-positive rate next to what it flags; the
summary puts, per task, the flags of each check, the best membership AUROC, TS-Guessing, the
rewrite gap and the clean-subset score with its paired difference from the full score."""

from __future__ import annotations

import math
from typing import Any, Sequence

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from rich.table import Table

from assay.analyses.integrity.audit import TaskIntegrity
from assay.analyses.integrity.guessing import GuessReport
from assay.analyses.integrity.membership import MembershipFlags
from assay.analyses.integrity.overlap import OverlapReport
from assay.report.display import percent
from assay.stats.detection import DetectionReport


def _table(title: str, columns: Sequence[str]) -> Table:
    t = Table(title=title)
    for c in columns:
        t.add_column(c)
    return t


def _num(x: Any, digits: int = 3) -> str:
    return "—" if x is None or not isinstance(x, (int, float)) or not math.isfinite(x) else f"{x:.{digits}f}"


def _ci(est: float, lo: float, hi: float, digits: int = 3) -> str:
    return f"{_num(est, digits)} [{_num(lo, digits)}, {_num(hi, digits)}]"


def _pci(est: float, lo: float, hi: float) -> str:
    return f"{percent(est)} [{percent(lo)}, {percent(hi)}]"


def overlap_table(report: OverlapReport, show: int = 20) -> Table:
    d = report.to_dict()
    t = _table(f"Corpus overlap: {d['n_flagged']}/{d['n_items']} items flagged "
               f"({_pci(d['flagged_rate'], d['ci_low'], d['ci_high'])} %; {d['n_exact']} exact {report.config.n}-gram, "
               f"{d['n_near']} near-duplicate at Jaccard >= {report.config.threshold}) · "
               f"{d['corpus_documents']} documents, {d['corpus_bytes'] / 1e6:.1f} MB at {report.mb_per_s:.1f} MB/s"
               + (f" · {len(d['skipped'])} skipped" if d["skipped"] else ""),
               ["task", "item", "coverage %", "Jaccard", "matching span", "source"])
    for i in report.flagged[:show]:
        span, source = (i.span, i.span_source) if i.exact else (i.near_span, i.near_source)
        t.add_row(i.task, i.id, percent(i.coverage), _num(i.jaccard, 2), span[:80] + ("…" if len(span) > 80 else ""),
                  source)
    return t


def detection_table(title: str, reports: Sequence[DetectionReport]) -> Table:
    t = _table(f"Membership scores: {title}", ["score", "AUROC [95% CI]", "TPR at FPR [95% CI]", "threshold",
                                               "achieved FPR [95% CI]", "members", "clean"])
    for r in reports:
        t.add_row(r.name, _ci(r.auroc.estimate, r.auroc.low, r.auroc.high),
                  _pci(r.tpr.estimate, r.tpr.low, r.tpr.high) + f" @ {percent(r.target_fpr, 0)}%",
                  _num(r.threshold, 4), _pci(r.fpr.estimate, r.fpr.low, r.fpr.high), str(r.n_members),
                  str(r.n_nonmembers))
    return t


def flags_table(task: str, flags: Sequence[MembershipFlags]) -> Table:
    t = _table(f"Membership flags on {task} (threshold set on known-clean items; FPR measured on clean items "
               f"that did not set it)", ["score", "flagged", "threshold", "measured FPR % [95% CI]", "clean items"])
    for f in flags:
        c = f.calibration
        t.add_row(f.score, f"{len(f.flagged)}/{f.n_items}", _num(c.threshold, 4),
                  _pci(c.fpr.estimate, c.fpr.low, c.fpr.high), str(c.n_clean))
    return t


def guess_table(report: GuessReport, show: int = 10) -> Table:
    t = _table(f"TS-Guessing on {report.task}: exact match {_pci(report.rate.estimate, report.rate.low, report.rate.high)}"
               f" % of {report.n}", ["item", "hidden text", "model's answer"])
    for v in report.verbatim[:show]:
        t.add_row(v["id"], v["hidden"], v["answer"])
    return t


def _best_auroc(row: TaskIntegrity) -> dict[str, Any] | None:
    scored = [d for d in row.membership if isinstance(d.get("auroc"), (int, float)) and math.isfinite(d["auroc"])]
    return max(scored, key=lambda d: d["auroc"]) if scored else None


def summary_rows(rows: Sequence[TaskIntegrity]) -> list[dict[str, str]]:
    """The report's cells as text, shared by the terminal table and the HTML section."""
    out = []
    for r in rows:
        best = _best_auroc(r)
        g = r.guessing
        gap = "; ".join(f"{x['perturbation']} {percent(x['drop'])} [{percent(-x['ci_high'])}, {percent(-x['ci_low'])}]"
                        for x in r.rewrites) or "—"
        c = r.clean
        out.append({
            "task": r.task, "model": r.model or "—",
            "overlap": f"{len(r.overlap_flagged)}/{r.overlap_n}" if r.overlap_n else "—",
            "membership": (f"{len(r.membership_flagged)} by {r.membership_score} (FPR {percent(r.membership_fpr)}%)"
                           if r.membership_score else "—"),
            "auroc": f"{best['name']} {_ci(best['auroc'], best['auroc_low'], best['auroc_high'], 2)}" if best else "—",
            "guessing": (f"{_pci(g['exact_match'], g['ci_low'], g['ci_high'])} ({len(g['verbatim'])} verbatim)"
                         if g else "—"),
            "rewrite_gap": gap,
            "clean": (f"{_pci(c.clean.value, c.clean.ci_low, c.clean.ci_high)} of {c.n_items - c.n_flagged}"
                      if c else "—"),
            "difference": (_pci(c.difference.estimate, c.difference.low, c.difference.high) if c else "—"),
            "full": _pci(c.full.value, c.full.ci_low, c.full.ci_high) if c else "—",
        })
    return out


COLUMNS = (("task", "task"), ("model", "model"), ("overlap", "overlap flags"), ("membership", "membership flags"),
           ("auroc", "best AUROC vs clean [95% CI]"), ("guessing", "TS-Guessing EM % [CI]"),
           ("rewrite_gap", "rewrite gap, points [CI]"), ("full", "full score %"), ("clean", "clean-subset score %"),
           ("difference", "full − clean, points [CI]"))


def integrity_table(rows: Sequence[TaskIntegrity]) -> Table:
    t = _table("Integrity audit", [label for _, label in COLUMNS])
    for cells in summary_rows(rows):
        t.add_row(*(cells[key] for key, _ in COLUMNS))
    return t


def integrity_section(rows: Sequence[TaskIntegrity]) -> Markup:
    """The `<section id="integrity">` of the HTML report (escaped by Jinja2)."""
    env = Environment(loader=PackageLoader("assay.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                      lstrip_blocks=True)
    flagged = [{"task": r.task, "model": r.model or "—", "ids": ", ".join(sorted(r.flagged)[:50]),
                "n": len(r.flagged)} for r in rows if r.flagged]
    return Markup(env.get_template("integrity.html.j2").render(columns=COLUMNS, rows=summary_rows(rows),
                                                               flagged=flagged))
