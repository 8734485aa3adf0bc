"""Code tasks in the HTML report: per task, pass@k with its interval, how every answer ended
(a stacked bar of sandbox statuses, so a run full of timeouts or sandbox errors is visible at
a glance), the flaky rate and, for efficiency tasks, the DPE score and matched levels."""

from __future__ import annotations

import math
import re
from collections import Counter
from html import escape
from typing import Any, Sequence

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from assay.core.run import Run
from assay.report.svg import PALETTE

STATUSES = ("passed", "failed", "timeout", "memory", "killed", "empty_answer", "syntax_error", "several_blocks",
            "test_error", "sandbox_error")
_TALLY = re.compile(r"\b(" + "|".join(STATUSES) + r") (\d+)")


def status_counts(note: str) -> Counter[str]:
    """The statuses a code scorer wrote at the head of a sample's note ("failed 2, passed 1 — ...")."""
    head = note.split(" — ", 1)[0]
    return Counter({name: int(count) for name, count in _TALLY.findall(head)})


def status_bar(counts: Counter[str], width: int = 320, height: int = 16) -> str:
    total = sum(counts.values())
    if not total:
        return ""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             'aria-label="answer statuses">']
    x = 0.0
    for i, name in enumerate(STATUSES):
        n = counts.get(name, 0)
        if not n:
            continue
        w = width * n / total
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{PALETTE[i % len(PALETTE)]}">'
                     f'<title>{escape(name)}: {n} of {total}</title></rect>')
        x += w
    return "".join(parts) + "</svg>"


def _fmt(summary: Any) -> str:
    if summary is None or not math.isfinite(summary.value):
        return "—"
    low, high = summary.ci_low, summary.ci_high
    ci = f" [{100 * low:.1f}, {100 * high:.1f}]" if math.isfinite(low) and math.isfinite(high) else ""
    return f"{100 * summary.value:.1f}%{ci}"


def code_rows(runs: Sequence[Run]) -> list[dict[str, Any]]:
    rows = []
    for run in runs:
        for name, task in run.tasks.items():
            records = [s for s in run.samples if s.task == name]
            if not any(m.startswith("pass@") for m in task.metrics) or not records:
                continue
            counts: Counter[str] = Counter()
            for r in records:
                counts.update(status_counts(str(r.metadata.get("score_note", ""))))
            if not counts:
                continue
            levels = Counter(int(r.scores["dpe_level"]) for r in records
                             if isinstance(r.scores.get("dpe_level"), float) and math.isfinite(r.scores["dpe_level"]))
            rows.append({
                "model": run.model,
                "task": name, "problems": len(records),
                "pass": [(m, _fmt(s)) for m, s in task.metrics.items() if m.startswith("pass@")],
                "flaky": _fmt(task.metrics.get("flaky")) if "flaky" in task.metrics else "",
                "dpe": _fmt(task.metrics.get("dpe")) if "dpe" in task.metrics else "",
                "levels": ", ".join(f"level {k}: {v}" for k, v in sorted(levels.items())),
                "counts": ", ".join(f"{k} {counts[k]}" for k in STATUSES if counts.get(k)),
                "bar": Markup(status_bar(counts)),
            })
    return rows


def code_section(runs: Sequence[Run]) -> Markup | None:
    """The `<section id="code">` of the HTML report, or None when no run has a code task."""
    rows = code_rows(runs)
    if not rows:
        return None
    env = Environment(loader=PackageLoader("assay.report", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    legend = [(name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(STATUSES)]
    return Markup(env.get_template("code.html.j2").render(rows=rows, legend=legend))
