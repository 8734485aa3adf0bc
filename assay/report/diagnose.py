"""Skill diagnosis in reports: the per-skill mastery table (terminal), the weakest-link table,
and a skill chart (inline SVG: one bar per skill and row, its interval as a whisker)."""

from __future__ import annotations

import math
from html import escape
from typing import Sequence

from rich.table import Table

from assay.analyses.diagnose import CrossCapability, Diagnosis
from assay.report.svg import PALETTE

_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _pct(x: float) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{100 * x:.0f}"


def mastery_table(diag: Diagnosis) -> Table:
    """Rows x skills: P(mastered) in percent with its 95% interval, and the raw accuracy."""
    t = Table(title=f"Skill mastery (DINA posterior %, 95% bootstrap-over-items interval; raw accuracy in brackets); "
                    f"{len(diag.items)} items, mean slip {diag.fit.slip.mean():.2f}, guess {diag.fit.guess.mean():.2f}"
                    + (" (slip/guess shared: few rows)" if diag.fit.shared_item_parameters else ""))
    t.add_column("skill", justify="left")
    t.add_column("items", justify="right")
    for row in diag.rows:
        t.add_column(row, justify="right")
    by = {(m.row, m.skill): m for m in diag.mastery}
    for skill in diag.skills:
        n = max(by[(r, skill)].n_items for r in diag.rows)
        cells = []
        for r in diag.rows:
            m = by[(r, skill)]
            cells.append(f"{_pct(m.mastery)} [{_pct(m.low)}, {_pct(m.high)}] ({_pct(m.accuracy)})")
        t.add_row(skill, str(n), *cells)
    return t


def weakest_link_table(cross: Sequence[CrossCapability]) -> Table:
    t = Table(title="Cross-capability: skill combinations against their components (accuracy %)")
    for col in ("row", "skills", "items", "combination [95% CI]", "components", "verdict"):
        t.add_column(col, justify="right" if col in ("items", "combination [95% CI]") else "left")
    for c in cross:
        comps = ", ".join(f"{s} {_pct(v)}" for s, v in c.components.items())
        t.add_row(c.row, " + ".join(c.skills), str(c.n_items), f"{_pct(c.accuracy)} [{_pct(c.ci_low)}, {_pct(c.ci_high)}]",
                  comps, c.verdict)
    return t


def skill_chart_svg(diag: Diagnosis, *, width: int = 640) -> str:
    """Horizontal bars: each skill's mastery probability per row, with interval whiskers."""
    n_rows = len(diag.rows)
    bar_h, gap = 10, 8
    block = n_rows * bar_h + gap
    left, right, top = 170, 20, 24
    height = top + block * len(diag.skills) + 30
    sx = lambda v: left + v * (width - left - right)  # noqa: E731
    by = {(m.row, m.skill): m for m in diag.mastery}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="skill mastery chart" {_FONT}>']
    for i, row in enumerate(diag.rows):
        parts.append(f'<rect x="{left + i * 150}" y="4" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
                     f'<text x="{left + i * 150 + 14}" y="13">{escape(row[:22])}</text>')
    for k, skill in enumerate(diag.skills):
        y0 = top + k * block
        parts.append(f'<text x="{left - 6}" y="{y0 + n_rows * bar_h / 2 + 4:.1f}" text-anchor="end">{escape(skill)}</text>')
        for i, row in enumerate(diag.rows):
            m = by[(row, skill)]
            y = y0 + i * bar_h
            colour = PALETTE[i % len(PALETTE)]
            tip = f"{row} · {skill}: mastery {_pct(m.mastery)}% [{_pct(m.low)}, {_pct(m.high)}], accuracy {_pct(m.accuracy)}% on {m.n_items} items"
            parts.append(f'<rect x="{left}" y="{y + 1}" width="{sx(m.mastery) - left:.1f}" height="{bar_h - 2}" '
                         f'fill="{colour}" fill-opacity="0.75"><title>{escape(tip)}</title></rect>')
            parts.append(f'<line x1="{sx(m.low):.1f}" y1="{y + bar_h / 2}" x2="{sx(m.high):.1f}" y2="{y + bar_h / 2}" '
                         'stroke="#222"/>')
    axis_y = top + block * len(diag.skills)
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" stroke="#888"/>')
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<text x="{sx(tick):.1f}" y="{axis_y + 14}" text-anchor="middle">{int(tick * 100)}%</text>')
    parts.append("</svg>")
    return "".join(parts)


def write_diagnosis_report(diag: Diagnosis, path) -> "object":  # type: ignore[no-untyped-def]
    """A single-file HTML page with the skill chart and the weakest-link table."""
    from pathlib import Path

    rows = "".join(
        f"<tr><td>{escape(c.row)}</td><td>{escape(' + '.join(c.skills))}</td><td>{c.n_items}</td>"
        f"<td>{_pct(c.accuracy)} [{_pct(c.ci_low)}, {_pct(c.ci_high)}]</td>"
        f"<td>{escape(', '.join(f'{s} {_pct(v)}' for s, v in c.components.items()))}</td><td>{escape(c.verdict)}</td></tr>"
        for c in diag.cross)
    html = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Skill diagnosis</title></head>"
            "<body style=\"font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto\">"
            "<h1>Skill diagnosis</h1><section id=\"skill-chart\"><h2>Skill mastery (DINA)</h2>"
            f"{skill_chart_svg(diag)}<p>Bars: posterior probability of mastery; whiskers: 95% bootstrap over items.</p>"
            "</section><section id=\"weakest-link\"><h2>Cross-capability</h2><table><thead><tr><th>row</th>"
            "<th>skills</th><th>items</th><th>accuracy %</th><th>components</th><th>verdict</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></section></body></html>")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out


def skills_section(runs) -> "object | None":  # type: ignore[no-untyped-def]
    """The `<section id="skills">` of the HTML report: per task whose items carry `skills`, the
    DINA skill chart of the runs' rows, and each adaptive run's items in the order asked.
    None when no sample carries skills and no run is adaptive."""
    from markupsafe import Markup

    from assay.analyses.diagnose import diagnose_runs
    from assay.errors import AssayError

    parts = []
    tasks = sorted({r.task.split("@", 1)[0] for run in runs for r in run.samples if r.metadata.get("skills")})
    for task in tasks:
        try:
            diag = diagnose_runs(runs, tasks=[task], n_boot=50)
        except (AssayError, ValueError):
            continue  # too many skills for DINA, or none needed by enough items
        parts.append(f"<h3>{escape(task)}</h3>{skill_chart_svg(diag)}"
                     f"<p>Posterior probability of mastering each skill (DINA over {len(diag.rows)} row(s), "
                     f"{len(diag.items)} items); whiskers: 95% bootstrap over items.</p>")
    for run in runs:
        info = run.manifest.get("adaptive") or {}
        est = info.get("estimate")
        if est:
            asked = " ".join(f"{escape(i)}({a})" for i, a in zip(info["items"], info["answers"]))
            parts.append(f"<h3>Adaptive test: {escape(run.model)}</h3><p>predicted accuracy {_pct(est['accuracy'])}% "
                         f"[{_pct(est['ci_low'])}, {_pct(est['ci_high'])}] from {len(info['items'])} of "
                         f"{info['calibrated_items']} items ({escape(info['stop_reason'])}); asked: {asked}</p>")
            parts.append(_calibration_figures(info.get("calibration")))
    if not parts:
        return None
    return Markup('<section id="skills"><h2>Skills and adaptive tests</h2>' + "".join(parts) + "</section>")


def _calibration_figures(path: str | None) -> str:
    """The item map and test-information curve of an adaptive run's calibration, when its file
    is still where the run found it."""
    from pathlib import Path

    from assay.analyses.irt_calibration import load_calibration
    from assay.errors import AssayError
    from assay.report.irt import information_curve_svg, item_map_svg

    if not path or not Path(path).is_file():
        return ""
    try:
        cal = load_calibration(path)
    except AssayError:
        return ""
    return (f"<figure>{item_map_svg(cal)}<figcaption>Item map of {escape(Path(path).name)}: difficulty vs "
            f"discrimination; orange items misfit.</figcaption></figure><figure>{information_curve_svg(cal)}"
            "<figcaption>Test information; ticks: calibration rows.</figcaption></figure>")
