"""Inline SVG plots for the HTML report and the dashboard: no plotting library, no network.

Every label is XML-escaped here (task and model names are user data); colours and styles
are presentation attributes, never `style=` (the dashboard's Content-Security-Policy
forbids inline styles). Each mark carries a `<title>`, so hovering shows the exact numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Sequence

from assay.core.results import MetricSummary

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7a6f00", "#000000")
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}" if math.isfinite(x) else "—"


def describe(summary: MetricSummary) -> str:
    """'31.0% [22.8, 40.6], n=100' (plus failures), the text of a point's tooltip."""
    if summary.is_proportion:
        text = f"{_pct(summary.value)}% [{_pct(summary.ci_low)}, {_pct(summary.ci_high)}], n={summary.n}"
    else:
        text = f"{summary.value:.4g} [{summary.ci_low:.4g}, {summary.ci_high:.4g}], n={summary.n}"
    return text + (f", {summary.n_failed} failed" if summary.n_failed else "")


@dataclass(frozen=True)
class ForestRow:
    """One row of a forest plot: a label and, per series (model/run), an estimate or None."""

    label: str
    points: Sequence[MetricSummary | None]
    emphasis: bool = False


def _domain(rows: Sequence[ForestRow]) -> tuple[float, float]:
    values = [v for r in rows for p in r.points if p is not None
              for v in (p.value, p.ci_low, p.ci_high) if math.isfinite(v)]
    if not values:
        return 0.0, 1.0
    low, high = math.floor(min(values) * 10) / 10, math.ceil(max(values) * 10) / 10
    if 0.0 <= min(values) and max(values) <= 1.0:
        low, high = max(0.0, low), min(1.0, high)
    if high - low < 0.2:
        mid = (high + low) / 2
        low, high = mid - 0.1, mid + 0.1
    return low, high


def forest_plot(rows: Sequence[ForestRow], series: Sequence[str], *, width: int = 760,
                title: str = "scores with 95% confidence intervals (%)") -> str:
    """Points with horizontal CI whiskers, one band per row, one colour per series."""
    if not rows:
        return ""
    label_w, right_pad, top, row_gap = 190, 30, 22 + 18 * ((len(series) + 2) // 3), 6
    per = 14
    band = max(22, per * len(series) + row_gap)
    height = top + band * len(rows) + 34
    low, high = _domain(rows)
    plot_w = width - label_w - right_pad

    def x(v: float) -> float:
        return label_w + (min(max(v, low), high) - low) / (high - low) * plot_w

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="forest" role="img" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" {_FONT}><title>{_e(title)}</title>']
    for i, name in enumerate(series):  # legend
        lx, ly = 10 + (i % 3) * 250, 16 + 18 * (i // 3)
        out.append(f'<circle cx="{lx + 5}" cy="{ly - 4}" r="5" fill="{color(i)}"/>'
                   f'<text x="{lx + 15}" y="{ly}" fill="#222">{_e(name[:38])}</text>')
    step = 0.1 if high - low <= 0.6 else 0.2
    tick = math.ceil(low / step - 1e-9) * step
    axis_y = top + band * len(rows)
    while tick <= high + 1e-9:
        tx = x(tick)
        out.append(f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{axis_y}" stroke="#ddd"/>'
                   f'<text x="{tx:.1f}" y="{axis_y + 16}" text-anchor="middle" fill="#555">{100 * tick:.0f}</text>')
        tick += step
    for r, row in enumerate(rows):
        y0 = top + r * band
        if r % 2:
            out.append(f'<rect x="0" y="{y0}" width="{width}" height="{band}" fill="#f6f7f9"/>')
        weight = ' font-weight="bold"' if row.emphasis else ""
        out.append(f'<text x="{label_w - 10}" y="{y0 + band / 2 + 4:.1f}" text-anchor="end" fill="#222"{weight}>'
                   f'{_e(row.label[:30])}<title>{_e(row.label)}</title></text>')
        for i, point in enumerate(row.points):
            if point is None or not math.isfinite(point.value):
                continue
            cy = y0 + row_gap / 2 + per * i + per / 2 + (band - per * len(series) - row_gap) / 2
            lo = point.ci_low if math.isfinite(point.ci_low) else point.value
            hi = point.ci_high if math.isfinite(point.ci_high) else point.value
            tip = _e(f"{series[i] if i < len(series) else ''} · {row.label}: {describe(point)} ({point.method})")
            out.append(f'<g class="pt"><title>{tip}</title>'
                       f'<line x1="{x(lo):.1f}" y1="{cy:.1f}" x2="{x(hi):.1f}" y2="{cy:.1f}" stroke="{color(i)}" '
                       f'stroke-width="2"/>'
                       f'<line x1="{x(lo):.1f}" y1="{cy - 4:.1f}" x2="{x(lo):.1f}" y2="{cy + 4:.1f}" '
                       f'stroke="{color(i)}"/>'
                       f'<line x1="{x(hi):.1f}" y1="{cy - 4:.1f}" x2="{x(hi):.1f}" y2="{cy + 4:.1f}" '
                       f'stroke="{color(i)}"/>'
                       f'<circle cx="{x(point.value):.1f}" cy="{cy:.1f}" r="{5 if row.emphasis else 4}" '
                       f'fill="{color(i)}"/></g>')
    out.append(f'<line x1="{label_w}" y1="{axis_y}" x2="{width - right_pad}" y2="{axis_y}" stroke="#888"/>')
    out.append("</svg>")
    return "".join(out)


def interval_bar(summary: MetricSummary | None, *, width: int = 110, height: int = 14, index: int = 0) -> str:
    """A small 0–100% scale with the estimate and its CI, for table cells."""
    if summary is None or not math.isfinite(summary.value) or not summary.is_proportion:
        return ""

    def x(v: float) -> float:
        return 2 + min(max(v, 0.0), 1.0) * (width - 4)

    lo = summary.ci_low if math.isfinite(summary.ci_low) else summary.value
    hi = summary.ci_high if math.isfinite(summary.ci_high) else summary.value
    mid = height / 2
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="bar" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><title>{_e(describe(summary))}</title>'
            f'<rect x="2" y="{mid - 1}" width="{width - 4}" height="2" fill="#e3e5e8"/>'
            f'<rect x="{x(lo):.1f}" y="{mid - 3}" width="{max(1.0, x(hi) - x(lo)):.1f}" height="6" rx="2" '
            f'fill="{color(index)}" fill-opacity="0.35"/>'
            f'<circle cx="{x(summary.value):.1f}" cy="{mid}" r="3.5" fill="{color(index)}"/></svg>')


def format_strip(formats: dict[str, MetricSummary], *, index: int = 0, width: int = 420, height: int = 30,
                 label: str = "") -> str:
    """One task's scores under several prompt formats as dots on a 0–100% strip, joined by
    the range they span (the format spread)."""
    points = [(name, s) for name, s in formats.items() if math.isfinite(s.value)]
    if not points:
        return ""

    def x(v: float) -> float:
        return 8 + min(max(v, 0.0), 1.0) * (width - 16)

    values = [s.value for _, s in points]
    lo, hi, mid = min(values), max(values), height / 2
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="strip" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" {_FONT}>'
           f'<title>{_e(label)} spread {100 * (hi - lo):.1f} points over {len(points)} formats</title>'
           f'<line x1="8" y1="{mid}" x2="{width - 8}" y2="{mid}" stroke="#ddd"/>']
    for tick in (0.0, 0.5, 1.0):
        out.append(f'<line x1="{x(tick):.1f}" y1="{mid - 5}" x2="{x(tick):.1f}" y2="{mid + 5}" stroke="#bbb"/>')
    out.append(f'<line x1="{x(lo):.1f}" y1="{mid}" x2="{x(hi):.1f}" y2="{mid}" stroke="{color(index)}" '
               f'stroke-width="3" stroke-opacity="0.5"/>')
    for name, s in points:
        out.append(f'<circle cx="{x(s.value):.1f}" cy="{mid}" r="4.5" fill="{color(index)}" fill-opacity="0.8">'
                   f'<title>{_e(name)}: {_e(describe(s))}</title></circle>')
    out.append("</svg>")
    return "".join(out)
