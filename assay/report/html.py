"""The single-file HTML report: summary with CIs, forest plot, breakdowns, format spread, samples.

One file that renders offline: CSS, JavaScript and SVG are inline, the samples are embedded
as JSON in a `<script type="application/json">` block, and a Content-Security-Policy allows
only the report's own script and style (by hash) and no network at all. Prompts and
responses are untrusted: Jinja2 escapes everything in the HTML, the JSON block escapes
`</` (as `<\\/`) and `<!--`, and the script writes data into the page only via
`textContent`. Manifests are scrubbed of secrets again here, whatever the run directory holds.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from assay.analyses.summaries import (
    BREAKDOWN_KEYS,
    breakdown,
    format_spread,
    mean_of_task_scores,
    primary_summary,
    score_of,
    score_span,
)
from assay.core.results import MetricSummary, SampleRecord
from assay.core.run import Run
from assay.report.display import display_value, metric_text, percent
from assay.report.svg import ForestRow, format_strip, forest_plot, interval_bar
from assay.report.efficiency import efficiency_section
from assay.report.trajectory import agents_section
from assay.report.arena_html import judge_audit_section
from assay.report.diagnose import skills_section
from assay.report.code import code_section
from assay.store.scrub import scrub_results
from assay.version import __version__


def _asset(name: str) -> str:
    return resources.files("assay.report").joinpath("templates", name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def embed_json(data: Any) -> str:
    """JSON safe inside `<script type="application/json">`: no `</script>`, no `<!--`."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--")


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("assay.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                      lstrip_blocks=True)
    env.globals["pct"] = percent
    env.globals["mval"] = metric_text
    return env


def _task_order(runs: Sequence[Run]) -> list[str]:
    order: list[str] = []
    for run in runs:
        order += [t for t in run.tasks if t not in order]
    return order


def _finite(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return round(x, 4) if isinstance(x, float) else x


def _sample_record(index: int, record: SampleRecord, primary: str | None) -> dict[str, Any]:
    meta = record.metadata
    value = score_of(record, primary)
    return {
        "r": index, "t": record.task, "i": record.sample_id, "f": record.format or "default",
        "p": str(record.prompt or ""), "o": display_value(record.response, meta),
        "x": display_value(record.extracted, meta), "y": display_value(record.target, meta),
        "s": {k: _finite(v) for k, v in record.scores.items()},
        "ok": None if math.isnan(value) else round(value, 4), "e": record.error,
        "m": {k: meta[k] for k in ("family", "difficulty", "skills", "group") if k in meta},
    }


def _run_info(run: Run) -> dict[str, Any]:
    manifest = scrub_results(run).manifest
    return {
        "model": run.model, "run_id": run.run_id, "started": manifest.get("started", ""),
        "finished": manifest.get("finished", ""), "n_samples": len(run.samples),
        "n_failed": run.n_failed, "assay_version": manifest.get("assay_version", ""),
        "commit": manifest.get("git_commit") or "", "manifest": json.dumps(manifest, indent=2, ensure_ascii=False),
    }


def _bar(summary: MetricSummary | None, index: int) -> Markup:
    return Markup(interval_bar(summary, index=index))


def report_context(runs: Sequence[Run], *, title: str | None = None,
                   max_samples: int | None = None, sections: Sequence[Markup] = ()) -> dict[str, Any]:
    """Everything the template shows: the runs' numbers (computed by `assay.analyses.summaries`)
    laid out for the template."""
    metrics = [run.metrics for run in runs]
    tasks = _task_order(runs)
    summary = []
    for task in tasks:
        names: list[str] = []
        for m in metrics:
            names += [n for n in m.get(task, {}) if n not in names]
        for name in names:
            summary.append({"task": task, "metric": name, "cells": [
                {"run": i, "summary": m.get(task, {}).get(name), "bar": _bar(m.get(task, {}).get(name), i)}
                for i, m in enumerate(metrics)]})

    common = [t for t in tasks if all(t in m for m in metrics)]
    means = []
    if len(common) > 1:
        for i, run in enumerate(runs):
            mean = mean_of_task_scores([s for t in common if (s := primary_summary(run, t)) is not None])
            if mean is not None:
                means.append({"run": i, "summary": mean, "bar": _bar(mean, i)})
    rows = [ForestRow(f"{t} ({next(r for r in runs if t in r.tasks).primary_metric(t)})",
                      [primary_summary(run, t) for run in runs]) for t in tasks]
    if means:
        rows.append(ForestRow(f"mean over {len(common)} tasks", [m["summary"] for m in means], emphasis=True))
    series = [f"{r.model} · {r.run_id}" if len({x.model for x in runs}) < len(runs) else r.model for r in runs]

    breakdowns = []
    for key in BREAKDOWN_KEYS:
        per_run = [breakdown(run, key) for run in runs]
        labels: list[str] = []
        for b in per_run:
            labels += [label for label in b if label not in labels]
        if labels:
            breakdowns.append({"key": key, "rows": [
                {"label": label, "cells": [{"summary": b.get(label), "bar": _bar(b.get(label), i)}
                                           for i, b in enumerate(per_run)]} for label in labels]})

    spreads: dict[str, list[dict[str, Any]]] = {}
    for i, run in enumerate(runs):
        for task, formats in format_spread(run).items():
            spreads.setdefault(task, []).append({
                "run": i, "n_formats": len(formats), "spread": percent(score_span(formats.values())),
                "detail": " · ".join(f"{name} {100 * s.value:.1f}" for name, s in list(formats.items())[:8]),
                "strip": Markup(format_strip(formats, index=i, label=f"{run.model} · {task}"))})

    records = []
    for i, run in enumerate(runs):
        primaries = {name: t.primary_metric for name, t in run.tasks.items()}
        records += [_sample_record(i, record, primaries.get(record.task)) for record in run.samples]
    n_samples = len(records)
    if max_samples is not None:
        records = records[:max_samples]
    run_infos = [_run_info(run) for run in runs]
    models = sorted({r.model for r in runs})
    return {
        "title": title or ("assay report: " + ", ".join(models)),
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"), "version": __version__,
        "runs": run_infos, "summary": summary, "means": means, "common_tasks": common,
        "forest": Markup(forest_plot(rows, series)), "breakdowns": breakdowns,
        "spreads": [{"task": t, "cells": c} for t, c in spreads.items()],
        "n_samples": n_samples, "shown_samples": len(records), "truncated": len(records) < n_samples,
        "sections": [*sections, *([efficiency] if (efficiency := efficiency_section(runs)) is not None else []),
                     *([judges] if (judges := judge_audit_section(runs)) is not None else []),
                     *([agents] if (agents := agents_section(runs)) is not None else []),
                     *([skills] if (skills := skills_section(runs)) is not None else []),
                     *([code] if (code := code_section(runs)) is not None else [])],
        "data_json": Markup(embed_json({"runs": [{"model": r["model"], "run_id": r["run_id"]} for r in run_infos],
                                        "samples": records})),
    }


def build_report(runs: Sequence[Run], *, title: str | None = None, max_samples: int | None = None,
                 sections: Sequence[Markup] = ()) -> str:
    """The report as one HTML string (see the module docstring)."""
    if not runs:
        raise ValueError("a report needs at least one run")
    css, js = _asset("report.css"), _asset("report.js")
    context = report_context(runs, title=title, max_samples=max_samples, sections=sections)
    context |= {"css": Markup(css), "js": Markup(js), "style_hash": _csp_hash(css), "script_hash": _csp_hash(js)}
    return _environment().get_template("report.html.j2").render(**context)


def write_report(runs: Sequence[Run], path: str | Path, *, title: str | None = None,
                 max_samples: int | None = None, sections: Sequence[Markup] = ()) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(build_report(runs, title=title, max_samples=max_samples, sections=sections), encoding="utf-8")
    tmp.replace(out)
    return out
