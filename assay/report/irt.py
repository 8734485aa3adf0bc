"""IRT in reports: terminal tables, the item map and test-information curve (inline SVG), and
a standalone HTML page for `assay irt report`.

The item map puts each item at (difficulty b, discrimination a), its SE as whiskers on b and
misfitting items (infit or outfit mean square above 1.3) in a second colour; the curve is
the test information with the calibration rows' abilities as a rug beneath, so a reader sees
where on the ability scale the items measure well and where the models actually are.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import Sequence

import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from rich.table import Table

from assay.analyses.adaptive import EstimatorCheck
from assay.analyses.irt_calibration import Calibration
from assay.analyses.irt_estimate import EstimateRow
from assay.report.svg import PALETTE
from assay.stats.irt import test_information

MISFIT_MEAN_SQUARE = 1.3
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _pct(x: float | None) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{100 * x:.1f}"


def calibration_table(cal: Calibration, limit: int = 12) -> Table:
    """A summary of the fit and the hardest/easiest items."""
    fit = cal.fit
    p = cal.params
    misfit = int(np.sum((cal.item_fit.infit > MISFIT_MEAN_SQUARE) | (cal.item_fit.outfit > MISFIT_MEAN_SQUARE)))
    t = Table(title=f"{fit.model.value.upper()} calibration: {len(cal.items)} items x {len(cal.matrix.rows)} rows, "
                    f"log-lik {fit.log_likelihood:.1f}, {fit.n_iter} EM cycles"
                    f"{'' if fit.converged else ' (not converged)'}, {misfit} misfitting item(s), "
                    f"{len(cal.bootstrap)} bootstrap refits")
    for col in ("item", "a ± SE", "b ± SE", "c", "infit", "outfit", "% correct"):
        t.add_column(col, justify="left" if col == "item" else "right")
    order = np.argsort(p.b)
    shown = list(order[: limit // 2]) + list(order[-(limit - limit // 2):]) if len(order) > limit else list(order)
    for j in shown:
        se = lambda v: f"{v[j]:.2f}" if v.size and np.isfinite(v[j]) else "—"  # noqa: E731
        pc = np.nanmean(cal.matrix.values[:, j]) if (~np.isnan(cal.matrix.values[:, j])).any() else float("nan")
        t.add_row(cal.items[j], f"{p.a[j]:.2f} ± {se(p.se_a)}", f"{p.b[j]:.2f} ± {se(p.se_b)}", f"{p.c[j]:.2f}",
                  f"{cal.item_fit.infit[j]:.2f}", f"{cal.item_fit.outfit[j]:.2f}", _pct(pc))
    return t


def estimate_table(rows: Sequence[EstimateRow], check: EstimatorCheck) -> Table:
    """Each row's estimate from the subset, next to its full accuracy when known."""
    t = Table(title=f"{check.strategy.value} subsets of {check.k} items (accuracy %, 95% CI; "
                    f"out-of-bag lambda {check.lam:.2f}, variance scale "
                    f"{max(check.scale.values()) if check.scale else 1:.2f})")
    for col in ("row", "estimate [95% CI]", "full", "theta ± SE", "person fit l_z", "items"):
        t.add_column(col, justify="left" if col == "row" else "right")
    for r in rows:
        lz = "—" if not math.isfinite(r.person_fit) else f"{r.person_fit:.2f}" + (" !" if r.person_fit < -1.96 else "")
        t.add_row(r.row, f"{_pct(r.accuracy)} [{_pct(r.ci_low)}, {_pct(r.ci_high)}]", _pct(r.full_accuracy),
                  f"{r.theta:.2f} ± {r.theta_se:.2f}", lz, str(len(r.items_used)))
    return t


def item_map_svg(cal: Calibration, *, width: int = 640, height: int = 320) -> str:
    """Difficulty (x) against discrimination (y), one dot per item, SE whiskers on b."""
    p = cal.params
    left, right, top, bottom = 48, 16, 14, 36
    b = np.clip(p.b, -6, 6)
    a = p.a
    x0, x1 = float(min(-3, b.min())), float(max(3, b.max()))
    y1 = float(max(2.0, np.nanmax(a) * 1.05))
    sx = lambda v: left + (v - x0) / (x1 - x0) * (width - left - right)  # noqa: E731
    sy = lambda v: height - bottom - v / y1 * (height - top - bottom)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="item map" {_FONT}>']
    parts.append(f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#888"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#888"/>')
    for tick in range(math.ceil(x0), math.floor(x1) + 1):
        parts.append(f'<text x="{sx(tick):.1f}" y="{height - bottom + 14}" text-anchor="middle">{tick}</text>')
    for tick in np.linspace(0, y1, 5):
        parts.append(f'<text x="{left - 6}" y="{sy(tick) + 4:.1f}" text-anchor="end">{tick:.1f}</text>')
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 4}" text-anchor="middle">difficulty b</text>')
    parts.append(f'<text x="12" y="{(top + height - bottom) / 2}" transform="rotate(-90 12 {(top + height - bottom) / 2})" '
                 'text-anchor="middle">discrimination a</text>')
    misfit = (cal.item_fit.infit > MISFIT_MEAN_SQUARE) | (cal.item_fit.outfit > MISFIT_MEAN_SQUARE)
    for j, item in enumerate(cal.items):
        cx, cy = sx(b[j]), sy(a[j])
        colour = PALETTE[1] if misfit[j] else PALETTE[0]
        se = p.se_b[j] if p.se_b.size and np.isfinite(p.se_b[j]) else 0.0
        if se:
            parts.append(f'<line x1="{sx(max(x0, b[j] - se)):.1f}" y1="{cy:.1f}" x2="{sx(min(x1, b[j] + se)):.1f}" '
                         f'y2="{cy:.1f}" stroke="{colour}" stroke-opacity="0.35"/>')
        tip = (f"{item}: a={p.a[j]:.2f}, b={p.b[j]:.2f}" + (f" ± {se:.2f}" if se else "")
               + f", infit {cal.item_fit.infit[j]:.2f}, outfit {cal.item_fit.outfit[j]:.2f}")
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{colour}" fill-opacity="0.75">'
                     f'<title>{escape(tip)}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def information_curve_svg(cal: Calibration, *, width: int = 640, height: int = 260) -> str:
    """Test information over ability, with the calibration rows' abilities as a rug."""
    grid = np.linspace(-4, 4, 161)
    info = test_information(cal.params, grid)
    left, right, top, bottom = 48, 16, 14, 44
    ymax = float(info.max() * 1.05) or 1.0
    sx = lambda v: left + (v + 4) / 8 * (width - left - right)  # noqa: E731
    sy = lambda v: height - bottom - v / ymax * (height - top - bottom)  # noqa: E731
    path = " ".join(f"{'M' if i == 0 else 'L'}{sx(t):.1f},{sy(v):.1f}" for i, (t, v) in enumerate(zip(grid, info)))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="test information curve" {_FONT}>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#888"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#888"/>',
             f'<path d="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"><title>test information</title></path>']
    for tick in range(-4, 5):
        parts.append(f'<text x="{sx(tick):.1f}" y="{height - bottom + 26}" text-anchor="middle">{tick}</text>')
    for tick in np.linspace(0, ymax, 5):
        parts.append(f'<text x="{left - 6}" y="{sy(tick) + 4:.1f}" text-anchor="end">{tick:.0f}</text>')
    for name, t in zip(cal.matrix.rows, cal.fit.theta):
        x = sx(float(np.clip(t, -4, 4)))
        parts.append(f'<line x1="{x:.1f}" y1="{height - bottom + 2}" x2="{x:.1f}" y2="{height - bottom + 10}" '
                     f'stroke="{PALETTE[2]}"><title>{escape(str(name))}: theta {t:.2f}</title></line>')
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 4}" text-anchor="middle">ability theta '
                 '(ticks: calibration rows)</text>')
    parts.append("</svg>")
    return "".join(parts)


def write_irt_report(cal: Calibration, path: str | Path, *, title: str = "IRT calibration") -> Path:
    """A single-file HTML page: fit summary, item map, test-information curve, item table."""
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("irt.html.j2").render(
        title=title, cal=cal, items=cal.item_table(), misfit_cut=MISFIT_MEAN_SQUARE,
        item_map=Markup(item_map_svg(cal)), info_curve=Markup(information_curve_svg(cal)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def adaptive_run_table(run) -> Table:  # type: ignore[no-untyped-def]
    """An adaptive run: the predicted accuracy with its interval, and the items in order asked."""
    info = run.manifest.get("adaptive", {})
    est = info["estimate"]
    t = Table(title=f"adaptive test of {run.model}: predicted full-task accuracy from {len(info['items'])} of "
                    f"{info['calibrated_items']} items ({info['stop_reason']})")
    for col in ("task", "accuracy % [95% CI]", "theta ± SE", "person fit l_z", "items asked (answer)"):
        t.add_column(col, justify="left" if col in ("task", "items asked (answer)") else "right")
    lz = est.get("person_fit")
    asked = " ".join(f"{item}({a})" for item, a in zip(info["items"], info["answers"]))
    task = next(iter(run.tasks), "")
    t.add_row(task, f"{_pct(est['accuracy'])} [{_pct(est['ci_low'])}, {_pct(est['ci_high'])}]",
              f"{est['theta']:.2f} ± {est['theta_se']:.2f}", "—" if lz is None else f"{lz:.2f}", asked)
    return t
