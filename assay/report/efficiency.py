"""Efficiency on the page: terminal tables, an accuracy-vs-cost scatter with its Pareto front
(inline SVG), and the report section. Renders only; the numbers come from
`assay.analyses.efficiency`. Every energy figure shows its label (measured / estimated).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from rich.table import Table

from assay.analyses.efficiency.measures import RunEfficiency, TaskEfficiency
from assay.analyses.efficiency.scaling import Method, ScaleCurve, ScalePoint, pareto_front
from assay.core.run import Run
from assay.report.svg import _FONT, _e, color

# --- numbers as text ------------------------------------------------------------------


def _num(x: float | None, digits: int = 3) -> str:
    if x is None or not math.isfinite(x):
        return "∞" if x == math.inf else "—"
    return f"{x:.{digits}g}"


def _q(task: TaskEfficiency, name: str, which: int = 0, digits: int = 3) -> str:
    pair = task.quantiles.get(name)
    if pair is None:
        return "—"
    q = pair[which]
    return f"{_num(q.estimate, digits)} [{_num(q.low, 2)}, {_num(q.high, 2)}]"


def _label(kind: str | None) -> str:
    return {"measured": "measured", "estimated": "estimated", "unavailable": "unavailable"}.get(kind or "", "—")


def efficiency_table(effs: Sequence[RunEfficiency]) -> Table:
    """One row per run and task: medians [95% CI] of TTFT, TPOT, tokens/s, peak RSS, joules per
    answer (labelled), joules per correct answer, cost-of-pass and measured/ideal."""
    table = Table(title="efficiency per answer: median [95% CI]; energy labelled measured or estimated",
                  title_justify="left")
    for col in ("model", "task", "n", "acc", "TTFT s", "TPOT s", "tok/s", "peak RSS MiB", "J/answer",
                "energy", "J/correct", "$ total", "cost-of-pass $", "measured/ideal"):
        table.add_column(col, justify="left" if col in ("model", "task", "energy") else "right")
    for eff in effs:
        for t in eff.tasks:
            jpc = t.joules_per_correct
            cop = t.cost_of_pass
            table.add_row(
                eff.model, t.task, str(t.n), f"{100 * t.accuracy:.1f}%" if math.isfinite(t.accuracy) else "—",
                _q(t, "ttft_s"), _q(t, "tpot_s"), _q(t, "tokens_per_s"), _q(t, "peak_rss_mb", digits=4),
                _q(t, "energy_j"), _label(t.energy_kind),
                "—" if jpc is None else f"{_num(jpc.estimate)} [{_num(jpc.low, 2)}, {_num(jpc.high, 2)}]",
                "—" if t.cost_total_usd is None else f"{t.cost_total_usd:.4g}",
                "—" if cop is None else f"{_num(cop.estimate)} [{_num(cop.low, 2)}, {_num(cop.high, 2)}]",
                "—" if t.ideal_ratio is None else f"{_num(t.ideal_ratio[0].estimate)}×",
            )
    return table


def scale_table(curve: ScaleCurve) -> Table:
    """Every (model, method, N): accuracy [CI], tokens, joules (labelled), dollars, and which
    Pareto fronts the point is on."""
    table = Table(title=f"test-time scaling on {curve.task}: mean per item [95% CI] "
                        f"(pool of {curve.settings.n_max} samples per item, T={curve.settings.temperature:g})",
                  title_justify="left")
    for col in ("model", "method", "N", "accuracy %", "tokens", "joules", "energy", "$", "Pareto"):
        table.add_column(col, justify="left" if col in ("model", "method", "energy", "Pareto") else "right")
    for p in curve.points:
        a = p.accuracy
        fronts = [name for name, flag in (("tokens", p.pareto_tokens), ("energy", p.pareto_energy),
                                          ("$", p.pareto_cost)) if flag]
        table.add_row(
            p.model, p.method.value, str(p.n),
            f"{100 * a.estimate:.1f} [{100 * a.low:.1f}, {100 * a.high:.1f}]" if math.isfinite(a.estimate) else "—",
            f"{p.tokens.estimate:.0f}",
            "—" if p.energy_j is None else f"{_num(p.energy_j.estimate)} [{_num(p.energy_j.low, 2)}, "
                                           f"{_num(p.energy_j.high, 2)}]",
            _label(p.energy_kind), "—" if p.cost_usd is None else f"{p.cost_usd.estimate:.3g}",
            ", ".join(fronts) or "")
    return table


# --- the scatter ------------------------------------------------------------------------

@dataclass(frozen=True)
class ScatterPoint:
    label: str
    series: int
    x: float
    y: float
    y_low: float
    y_high: float
    on_front: bool


def pareto_scatter(points: Sequence[ScatterPoint], series: Sequence[str], *, x_label: str,
                   y_label: str = "accuracy (%)", title: str = "", width: int = 560, height: int = 340,
                   log_x: bool = True) -> str:
    """Accuracy (with CI whiskers) against a cost, one colour per series, the Pareto front as a
    step line through the points no other point beats on both axes."""
    pts = [p for p in points if math.isfinite(p.x) and math.isfinite(p.y) and (p.x > 0 or not log_x)]
    if not pts:
        return ""
    left, right, top, bottom = 60, 20, 26 + 16 * ((len(series) + 2) // 3), 44
    xs = [p.x for p in pts]
    fx = (lambda v: math.log10(v)) if log_x else (lambda v: v)
    x0, x1 = fx(min(xs)), fx(max(xs))
    if x1 - x0 < 1e-9:
        x0, x1 = x0 - 0.5, x1 + 0.5
    pad = (x1 - x0) * 0.06
    x0, x1 = x0 - pad, x1 + pad
    ys = [v for p in pts for v in (p.y, p.y_low, p.y_high) if math.isfinite(v)]
    y0, y1 = max(0.0, min(ys) - 0.05), min(1.0, max(ys) + 0.05)
    if y1 - y0 < 0.1:
        y0, y1 = max(0.0, y0 - 0.05), min(1.0, y1 + 0.05)
    pw, ph = width - left - right, height - top - bottom

    def X(v: float) -> float:
        return left + (fx(v) - x0) / (x1 - x0) * pw

    def Y(v: float) -> float:
        return top + (1 - (min(max(v, y0), y1) - y0) / (y1 - y0)) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="pareto" role="img" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" {_FONT}><title>{_e(title or y_label + " vs " + x_label)}</title>']
    for i, name in enumerate(series):
        lx, ly = 10 + (i % 3) * 185, 16 + 16 * (i // 3)
        out.append(f'<circle cx="{lx + 5}" cy="{ly - 4}" r="5" fill="{color(i)}"/>'
                   f'<text x="{lx + 14}" y="{ly}" fill="#222">{_e(name[:26])}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#bbb"/>')
    for k in range(5):
        v = y0 + (y1 - y0) * k / 4
        out.append(f'<line x1="{left}" y1="{Y(v):.1f}" x2="{left + pw}" y2="{Y(v):.1f}" stroke="#eee"/>'
                   f'<text x="{left - 6}" y="{Y(v) + 4:.1f}" text-anchor="end" fill="#555">{100 * v:.0f}</text>')
    for k in range(5):
        t = x0 + (x1 - x0) * k / 4
        v = 10 ** t if log_x else t
        out.append(f'<text x="{left + pw * k / 4:.1f}" y="{top + ph + 16}" text-anchor="middle" fill="#555">'
                   f'{_num(v, 2)}</text>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 8}" text-anchor="middle" fill="#222">'
               f'{_e(x_label)}{" (log scale)" if log_x else ""}</text>'
               f'<text x="14" y="{top + ph / 2:.1f}" text-anchor="middle" fill="#222" '
               f'transform="rotate(-90 14 {top + ph / 2:.1f})">{_e(y_label)}</text>')
    front = sorted((p for p in pts if p.on_front), key=lambda p: p.x)
    if front:
        path = [f"M{X(front[0].x):.1f},{Y(front[0].y):.1f}"]
        for a, b in zip(front, front[1:]):
            path.append(f"H{X(b.x):.1f}V{Y(b.y):.1f}")
        out.append(f'<path class="front" d="{"".join(path)}" fill="none" stroke="#444" stroke-width="1.5" '
                   f'stroke-dasharray="5 3"><title>Pareto front: the cheapest way to each accuracy</title></path>')
    for p in pts:
        cx, cy = X(p.x), Y(p.y)
        lo = Y(p.y_low) if math.isfinite(p.y_low) else cy
        hi = Y(p.y_high) if math.isfinite(p.y_high) else cy
        tip = _e(f"{p.label}: {100 * p.y:.1f}% [{_pct(p.y_low)}, {_pct(p.y_high)}] at {x_label} {_num(p.x)}"
                 + (" · on the Pareto front" if p.on_front else ""))
        ring = ' stroke="#000" stroke-width="1.5"' if p.on_front else ""
        out.append(f'<g class="pt"><title>{tip}</title><line x1="{cx:.1f}" y1="{lo:.1f}" x2="{cx:.1f}" '
                   f'y2="{hi:.1f}" stroke="{color(p.series)}"/><circle cx="{cx:.1f}" cy="{cy:.1f}" r="4.5" '
                   f'fill="{color(p.series)}"{ring}/></g>')
    out.append("</svg>")
    return "".join(out)


def _pct(v: float) -> str:
    return f"{100 * v:.1f}" if math.isfinite(v) else "—"


def scale_plots(curve: ScaleCurve) -> list[tuple[str, Markup]]:
    """(caption, svg) for accuracy vs tokens, vs joules and vs dollars (when priced)."""
    series = list(dict.fromkeys(f"{p.model} · {p.method.value}" for p in curve.points))
    plots = []
    for axis, flag, caption in (("tokens", "pareto_tokens", "tokens per item"),
                                ("energy_j", "pareto_energy", "joules per item"),
                                ("cost_usd", "pareto_cost", "dollars per item")):
        pts = [ScatterPoint(f"{p.model} {p.method.value} N={p.n}", series.index(f"{p.model} · {p.method.value}"),
                            getattr(p, axis).estimate, p.accuracy.estimate, p.accuracy.low, p.accuracy.high,
                            bool(getattr(p, flag)))
               for p in curve.points if getattr(p, axis) is not None]
        if not pts:
            continue
        kinds = {p.energy_kind for p in curve.points if p.energy_kind}
        if axis == "energy_j":
            caption += f" ({', '.join(sorted(kinds))})" if kinds else ""
        svg = pareto_scatter(pts, series, x_label=caption, title=f"{curve.task}: accuracy vs {caption}")
        if svg:
            plots.append((caption, Markup(svg)))
    return plots


def _run_points(effs: Sequence[RunEfficiency], runs: Sequence[Run], axis: str) -> tuple[list[ScatterPoint], list[str]]:
    """One point per run and task: primary accuracy against the mean per answer of `axis`."""
    series = [f"{e.model} · {e.run_id}" for e in effs]
    raw: list[tuple[str, int, float, float, float, float]] = []
    for i, (eff, run) in enumerate(zip(effs, runs)):
        for t in eff.tasks:
            metric = run.primary_metric(t.task)
            summary = run.tasks[t.task].metrics.get(metric) if metric else None
            if summary is None or not summary.is_proportion:
                continue
            values = [v for r in run.rows(t.task) if r.error is None
                      for v in [r.metadata.get("energy_j") if axis == "energy_j" else r.tokens_in + r.tokens_out]
                      if v is not None]
            if not values:
                continue
            raw.append((t.task, i, sum(values) / len(values), summary.value, summary.ci_low, summary.ci_high))
    points = []
    for task in dict.fromkeys(r[0] for r in raw):  # a front per task: runs compete on the same items
        mine = [r for r in raw if r[0] == task]
        flags = pareto_front([r[2] for r in mine], [r[3] for r in mine])
        points += [ScatterPoint(f"{series[r[1]]} · {task}", r[1], r[2], r[3], r[4], r[5], f and len(mine) > 1)
                   for r, f in zip(mine, flags)]
    return points, series


def efficiency_section(runs: Sequence[Run]) -> Markup | None:
    """The `<section id="efficiency">` of the HTML report: the per-answer table and accuracy
    against joules and tokens per answer with each task's Pareto front across runs. None
    when no run carries metered answers."""
    from assay.analyses.efficiency.measures import run_efficiency

    metered = [r for r in runs if any("energy_j" in s.metadata or "ttft_s" in s.metadata for s in r.samples)]
    if not metered:
        return None
    effs = [run_efficiency(r) for r in metered]
    rows = []
    for eff in effs:
        for t in eff.tasks:
            rows.append({"model": eff.model, "task": t.task, "n": t.n,
                         "acc": f"{100 * t.accuracy:.1f}%" if math.isfinite(t.accuracy) else "—",
                         "ttft": _q(t, "ttft_s"), "tpot": _q(t, "tpot_s"), "tps": _q(t, "tokens_per_s"),
                         "rss": _q(t, "peak_rss_mb", digits=4), "energy": _q(t, "energy_j"),
                         "kind": _label(t.energy_kind),
                         "jpc": "—" if t.joules_per_correct is None else _num(t.joules_per_correct.estimate)})
    plots = []
    for axis, caption in (("energy_j", "joules per answer"), ("tokens", "tokens per answer")):
        points, series = _run_points(effs, metered, axis)
        if axis == "energy_j":
            kinds = sorted({t.energy_kind for e in effs for t in e.tasks if t.energy_kind})
            caption += f" ({', '.join(kinds)})" if kinds else ""
        svg = pareto_scatter(points, series, x_label=caption, title=f"accuracy vs {caption}")
        if svg:
            plots.append({"caption": caption, "svg": Markup(svg)})
    meters = {e.meter.get("energy_kind") for e in effs if e.meter}
    note = next((e.meter.get("estimate") for e in effs if e.meter.get("estimate")), None)
    return Markup(_env().get_template("efficiency.html.j2").render(rows=rows, plots=plots, scale=None,
                                                                   meters=sorted(m for m in meters if m),
                                                                   estimate=note))


def scale_section(curve: ScaleCurve) -> Markup:
    """A report section for a scaling curve: the plots and the points."""
    rows = [{"model": p.model, "method": p.method.value, "n": p.n,
             "acc": f"{100 * p.accuracy.estimate:.1f} [{_pct(p.accuracy.low)}, {_pct(p.accuracy.high)}]",
             "tokens": f"{p.tokens.estimate:.0f}",
             "energy": "—" if p.energy_j is None else _num(p.energy_j.estimate), "kind": _label(p.energy_kind),
             "cost": "—" if p.cost_usd is None else f"{p.cost_usd.estimate:.3g}",
             "front": ", ".join(n for n, f in (("tokens", p.pareto_tokens), ("energy", p.pareto_energy),
                                               ("$", p.pareto_cost)) if f)}
            for p in curve.points]
    plots = [{"caption": c, "svg": s} for c, s in scale_plots(curve)]
    return Markup(_env().get_template("efficiency.html.j2").render(
        rows=None, plots=plots, scale={"task": curve.task, "rows": rows, "n_max": curve.settings.n_max,
                                       "temperature": curve.settings.temperature,
                                       "verifier": curve.settings.verifier.value},
        meters=[], estimate=None))


def _env() -> Environment:
    return Environment(loader=PackageLoader("assay.report", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                       lstrip_blocks=True)


__all__ = ["efficiency_table", "scale_table", "pareto_scatter", "efficiency_section", "scale_section",
           "ScatterPoint", "Method", "ScalePoint"]
