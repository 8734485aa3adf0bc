"""Training-run report parts: ability curves with CI bands (the shift and the stability gap
marked), the signal-quality table and forecasts; as terminal tables and as an HTML section
for the single-file report (`build_report(..., sections=[series_section(...)])`) and the
dashboard."""

from __future__ import annotations

import math
from typing import Sequence

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from rich.table import Table

from assay.analyses.series.curves import Curve, QualityRow, SeriesCurves
from assay.analyses.series.forecast import ForecastRow
from assay.report.svg import _FONT, _e, color
from assay.stats.series import StabilityGap


def _pct(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}"


def _pct_or(proportion: bool):  # type: ignore[no-untyped-def]
    return _pct if proportion else (lambda x: _num(x, 3))


def _num(x: float, digits: int = 2) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _step(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:g}"


def gap_text(gap: StabilityGap, proportion: bool = True) -> str:
    """One line on a task's stability gap (scores in points of %, or raw for other metrics)."""
    _pct = _pct_or(proportion)
    if not gap.found:
        return (f"no stability gap: the lowest post-shift score ({_pct(gap.trough)} at step {_step(gap.trough_step)}) "
                f"is not below the pre-shift {_pct(gap.baseline)} by the paired test (Holm p={gap.p_value:.3f})")
    rec = (f"recovered at step {_step(gap.recovery_step.value)} [{_step(gap.recovery_step.ci_low)}, "
           f"{_step(gap.recovery_step.ci_high)}], duration {_step(gap.duration.value)} steps"
           if gap.recovered else f"not recovered by the last checkpoint (recovers in {100 * gap.recovered_share:.0f}% of resamples)")
    unit = "points" if proportion else "nats"
    return (f"stability gap: depth {_pct(gap.depth.value)} {unit} [{_pct(gap.depth.ci_low)}, {_pct(gap.depth.ci_high)}] "
            f"from {_pct(gap.baseline)} at step {_step(gap.baseline_step)} to {_pct(gap.trough)} at step "
            f"{_step(gap.trough_step)} (Holm p={gap.p_value:.3g}); {rec}")


def curves_table(curves: SeriesCurves, *, skills: bool = False, task: str | None = None) -> Table:
    """Steps as rows, tasks (or one task's skills) as columns: mean % [CI]; * marks a change
    from the previous checkpoint that survives the Holm-corrected paired test."""
    chosen = [c for c in (curves.skills if skills else curves.tasks) if task is None or c.task == task]
    what = f"{task} per skill" if skills and task else ("per-skill" if skills else "per-task")
    unit = "% [95% CI]" if not chosen or chosen[0].proportion else f"{chosen[0].metric} [95% CI]"
    table = Table(title=f"series {curves.manifest.id}: {what} curves, {unit}")
    table.add_column("step", justify="right")
    for c in chosen:
        table.add_column(c.skill if (c.skill and task) else (f"{c.task}:{c.skill}" if c.skill else c.task),
                         justify="right")
    steps = [p.step for p in chosen[0].points] if chosen else []
    for k, s in enumerate(steps):
        cells = []
        for c in chosen:
            p = c.points[k]
            mark = "*" if k > 0 and c.neighbours[k - 1].changed else ""
            f = _pct if c.proportion else _num
            cells.append(f"{f(p.mean)}{mark} [{f(p.ci_low)}, {f(p.ci_high)}]")
        table.add_row(_step(s), *cells)
    return table


def quality_table(rows: Sequence[QualityRow], metric: str | None = None) -> Table:
    """The E2LM signal-quality table, best first (`metric` names the score when not accuracy)."""
    final = _pct_or(metric != "log_pass")
    table = Table(title="benchmark signal quality (E2LM), best first" + (f", on {metric}" if metric else ""))
    for name in ("task", "formulation", "monotonicity ρ", "SNR", "Kendall τ early", "above chance from",
                 "final %" if metric != "log_pass" else "final"):
        table.add_column(name, justify="left" if name in ("task", "formulation") else "right")
    for r in rows:
        q = r.quality
        table.add_row(r.task, r.formulation, _num(q.monotonicity), _num(q.snr, 1), _num(q.kendall_tau),
                      _step(q.earliest_step) + ("" if q.n_runs == 1 else f" ({q.separated_runs}/{q.n_runs} runs)"),
                      final(r.final_mean))
    return table


def forecast_table(rows: Sequence[ForecastRow]) -> Table:
    """Predictions with their intervals, the truth, and the naive extrapolation."""
    table = Table(title="score prediction, % [90% prediction interval]")
    for name in ("task", "target", "method", "predicted", "actual", "error", "naive", "naive error"):
        table.add_column(name, justify="left" if name in ("task", "target", "method") else "right")
    for r in rows:
        p = r.prediction
        table.add_row(r.task, r.target, p.method, f"{_pct(p.predicted)} [{_pct(p.pi_low)}, {_pct(p.pi_high)}]",
                      _pct(p.actual) if p.actual is not None else "–", _pct(p.error) if p.error is not None else "–",
                      _pct(p.naive), _pct(p.naive_error) if p.naive_error is not None else "–")
    return table


def curve_svg(curve: Curve, *, shift: float | None = None, gap: StabilityGap | None = None, index: int = 0,
              width: int = 360, height: int = 200) -> str:
    """One curve: the CI band, the mean line (filled dots where the paired test says it changed
    from the previous checkpoint), chance dashed, the shift and a found gap's trough and
    recovery marked."""
    left, right, top, bottom = 40, 10, 18, 28
    pts = curve.points
    xs = [p.step for p in pts]
    lo_x, hi_x = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    lo_y, hi_y = (0.0, 1.0) if curve.proportion else (min(p.ci_low for p in pts), max(p.ci_high for p in pts))
    hi_y = hi_y if hi_y > lo_y else lo_y + 1
    sx = lambda v: left + (v - lo_x) / (hi_x - lo_x) * (width - left - right)  # noqa: E731
    sy = lambda v: top + (1 - (v - lo_y) / (hi_y - lo_y)) * (height - top - bottom)  # noqa: E731
    c = color(index)
    band = " ".join(f"{sx(p.step):.1f},{sy(p.ci_high):.1f}" for p in pts) + " " + " ".join(
        f"{sx(p.step):.1f},{sy(p.ci_low):.1f}" for p in reversed(pts))
    line = " ".join(f"{sx(p.step):.1f},{sy(p.mean):.1f}" for p in pts)
    title = (f"{curve.task}" + (f" · {curve.skill}" if curve.skill else "") + f" (n={curve.n_items})"
             + ("" if curve.metric in ("acc", "") else f" · {curve.metric}"))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{_e(title)}" {_FONT}>',
             f'<text x="{left}" y="12">{_e(title)}</text>']
    for t in (0, 0.25, 0.5, 0.75, 1.0):
        v = lo_y + t * (hi_y - lo_y)
        label = f"{v * 100:.0f}" if curve.proportion else f"{v:.2f}"
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" stroke="#eee"/>'
                     f'<text x="{left - 4}" y="{sy(v) + 4:.1f}" text-anchor="end">{label}</text>')
    for v in (lo_x, (lo_x + hi_x) / 2, hi_x):
        parts.append(f'<text x="{sx(v):.1f}" y="{height - 10}" text-anchor="middle">{v:g}</text>')
    if curve.proportion and curve.chance > 0:
        parts.append(f'<line class="chance" x1="{left}" x2="{width - right}" y1="{sy(curve.chance):.1f}" '
                     f'y2="{sy(curve.chance):.1f}" stroke="#999" stroke-dasharray="4 3"><title>chance</title></line>')
    if shift is not None and lo_x <= shift <= hi_x:
        parts.append(f'<line class="shift" x1="{sx(shift):.1f}" x2="{sx(shift):.1f}" y1="{top}" y2="{height - bottom}" '
                     f'stroke="#b00" stroke-dasharray="2 2"><title>domain shift at step {shift:g}</title></line>')
    parts.append(f'<polygon class="ci-band" points="{band}" fill="{c}" fill-opacity="0.18" stroke="none"/>')
    parts.append(f'<polyline points="{line}" fill="none" stroke="{c}" stroke-width="2"/>')
    for k, p in enumerate(pts):
        changed = k > 0 and curve.neighbours[k - 1].changed
        parts.append(f'<circle cx="{sx(p.step):.1f}" cy="{sy(p.mean):.1f}" r="3" fill="{c if changed else "white"}" '
                     f'stroke="{c}"><title>step {p.step:g}: {_pct_or(curve.proportion)(p.mean)} '
                     f'[{_pct_or(curve.proportion)(p.ci_low)}, {_pct_or(curve.proportion)(p.ci_high)}]'
                     f'{" (changed)" if changed else ""}</title></circle>')
    if gap is not None and gap.found:
        parts.append(f'<line class="gap" x1="{sx(gap.trough_step):.1f}" x2="{sx(gap.trough_step):.1f}" '
                     f'y1="{sy(gap.baseline):.1f}" y2="{sy(gap.trough):.1f}" stroke="#b00" stroke-width="3">'
                     f'<title>stability gap: depth {_pct_or(curve.proportion)(gap.depth.value)} '
                     f'[{_pct_or(curve.proportion)(gap.depth.ci_low)}, '
                     f'{_pct_or(curve.proportion)(gap.depth.ci_high)}]</title></line>')
        if gap.recovered:
            parts.append(f'<circle class="recovery" cx="{sx(gap.recovery_step.value):.1f}" cy="{sy(gap.baseline):.1f}" '
                         f'r="5" fill="none" stroke="#b00"><title>recovered at step {gap.recovery_step.value:g}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def series_section(curves: SeriesCurves, quality: Sequence[QualityRow] = (),
                   forecasts: Sequence[ForecastRow] = ()) -> Markup:
    """The HTML section of a series: task and skill curves, gaps, quality and forecasts."""
    shift = curves.manifest.shift
    plots = [{"svg": Markup(curve_svg(c, shift=shift, gap=curves.gaps.get(c.task), index=i))}
             for i, c in enumerate(curves.tasks)]
    skill_plots = [{"svg": Markup(curve_svg(c, shift=shift, index=i))} for i, c in enumerate(curves.skills)]
    prop = not curves.tasks or curves.tasks[0].proportion
    gaps = [{"task": t, "text": gap_text(g, prop), "found": g.found} for t, g in curves.gaps.items()]
    qrows = [{"task": r.task, "formulation": r.formulation, "rho": _num(r.quality.monotonicity),
              "snr": _num(r.quality.snr, 1), "tau": _num(r.quality.kendall_tau),
              "earliest": _step(r.quality.earliest_step), "final": _pct(r.final_mean)} for r in quality]
    frows = [{"task": r.task, "target": r.target, "method": r.prediction.method,
              "pred": f"{_pct(r.prediction.predicted)} [{_pct(r.prediction.pi_low)}, {_pct(r.prediction.pi_high)}]",
              "actual": _pct(r.prediction.actual) if r.prediction.actual is not None else "–",
              "error": _pct(r.prediction.error) if r.prediction.error is not None else "–",
              "naive": _pct(r.prediction.naive),
              "naive_error": _pct(r.prediction.naive_error) if r.prediction.naive_error is not None else "–"}
             for r in forecasts]
    env = Environment(loader=PackageLoader("assay.report", "templates"), autoescape=select_autoescape(["j2"]))
    return Markup(env.get_template("series.html.j2").render(
        series=curves.manifest, plots=plots, skill_plots=skill_plots, gaps=gaps, quality=qrows, forecasts=frows,
        n_checkpoints=len(curves.manifest.entries)))
