"""The dashboard: a FastAPI app with server-rendered pages over the results store.

Pages: the runs list, a run (metrics with CIs, forest plot, breakdowns, searchable samples),
one sample in full, two runs compared item by item with the paired test
(`assay.analyses.compare`), and a leaderboard across models. Read-only: every route is a
GET, and the pages need no JavaScript at all — except the human arena's vote
(`assay.web.arena`), a CSRF-guarded POST that only adds a vote.

Safety: prompts and responses are untrusted. Jinja2 autoescapes everything; SVG labels are
escaped where the SVG is built; every response carries a Content-Security-Policy that
allows no script at all and no resource from elsewhere, so even a bug in escaping runs
nothing; manifests are scrubbed of secrets on the way out as well as on the way in; and
unless the server was started with `allow_remote`, requests whose Host is not a loopback
name are refused (a defence against DNS rebinding).
"""

from __future__ import annotations

import json
import math
from importlib import resources
from typing import Any, Awaitable, Callable
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from assay.analyses.compare import compare_runs
from assay.analyses.summaries import (
    BREAKDOWN_KEYS,
    TaskScore,
    breakdown,
    format_spread,
    leaderboard,
    mean_of_task_scores,
    primary_summary,
    score_of,
)
from assay.core.results import MetricSummary, SampleRecord
from assay.core.run import Run
from assay.report.display import display_value, metric_text, percent, step_views
from assay.report.trajectory import turn_views
from assay.report.svg import ForestRow, describe, format_strip, forest_plot, interval_bar
from assay.store.db import MetricRow, ResultsStore, RunInfo, StoreError
from assay.store.scrub import scrub_results
from assay.version import __version__

PAGE_SIZE = 50
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class NotFound(Exception):
    """A page for something that is not in the store."""


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("assay.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(pct=percent, mval=metric_text, bar=lambda s, i=0: Markup(interval_bar(s, index=i)), describe=describe,
                       version=__version__)
    env.filters["seg"] = lambda text: quote(str(text), safe="")
    env.filters["cut"] = lambda text, n=160: (str(text)[:n] + "…") if len(str(text)) > n else str(text)
    env.filters["show"] = display_value
    env.filters["qs"] = lambda params: urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return env


def _host_name(header: str) -> str:
    if header.startswith("["):  # [::1]:8765
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _sample_view(record: SampleRecord, primary: str | None) -> dict[str, Any]:
    meta = record.metadata
    value = score_of(record, primary)
    return {
        "task": record.task, "sample_id": record.sample_id, "format": record.format,
        "prompt": str(record.prompt or ""), "response": display_value(record.response, meta),
        "extracted": display_value(record.extracted, meta), "target": display_value(record.target, meta),
        "score": None if math.isnan(value) else value, "error": record.error, "row": record,
    }


def _scores(rows: list[MetricRow]) -> list[TaskScore]:
    return [TaskScore(r.model, r.run_id, r.started, r.task, r.metric, r.position,
                      MetricSummary(r.metric, r.value, r.n, r.stderr, r.ci_low, r.ci_high, r.method, r.n_failed))
            for r in rows]


def create_app(store: ResultsStore, *, allow_remote: bool = False) -> FastAPI:
    """The dashboard over `store`. With `allow_remote` False only loopback Host names are served."""
    app = FastAPI(title="assay dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    env = _environment()
    css = resources.files("assay.web").joinpath("static", "style.css").read_text(encoding="utf-8")

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("store_url", store.display_url)
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    def load(run_id: str) -> Run:
        try:
            return store.load(run_id)
        except StoreError as exc:
            raise NotFound(str(exc)) from None

    def run_info(run_id: str) -> RunInfo:
        try:
            return store.run(run_id)
        except StoreError as exc:
            raise NotFound(str(exc)) from None

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not allow_remote and _host_name(request.headers.get("host", "")) not in LOOPBACK_HOSTS:
            response: Response = PlainTextResponse("this dashboard only answers on a loopback address", 421)
        else:
            response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers[key] = value
        return response

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> HTMLResponse:
        return render("error.html", 404, title="not found", message=str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        return render("error.html", exc.status_code, title=str(exc.status_code), message=str(exc.detail))

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> HTMLResponse:
        return render("error.html", 500, title="store error", message=str(exc))

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.get("/static/style.css")
    def style() -> Response:
        return Response(css, media_type="text/css")

    @app.get("/", response_class=HTMLResponse)
    def runs_page(model: str | None = None) -> HTMLResponse:
        runs = store.runs(model=model or None)
        return render("runs.html", title="runs", runs=runs, all_runs=store.runs(), model=model or "",
                    models=store.models())

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_page(run_id: str, q: str = "", task: str = "", page: int = 1) -> HTMLResponse:
        run = load(run_id)
        metrics = run.metrics
        primaries = {name: t.primary_metric for name, t in run.tasks.items()}
        rows = [ForestRow(f"{t} ({primaries[t]})", [primary_summary(run, t)]) for t in metrics]
        mean = (mean_of_task_scores([s for t in metrics if (s := primary_summary(run, t)) is not None])
                if len(metrics) > 1 else None)
        if mean is not None:
            rows.append(ForestRow(f"mean over {len(metrics)} tasks", [mean], emphasis=True))
        offset = (max(1, page) - 1) * PAGE_SIZE
        samples, total = store.samples(run.run_id, task=task or None, query=q or None, offset=offset,
                                       limit=PAGE_SIZE)
        return render(
            "run.html", title=f"{run.model} · {run.run_id}", run=run, info=store.run(run.run_id), metrics=metrics,
            mean=mean, forest=Markup(forest_plot(rows, [run.model])),
            breakdowns={key: b for key in BREAKDOWN_KEYS if (b := breakdown(run, key))},
            spreads={t: Markup(format_strip(f, label=t)) for t, f in format_spread(run).items()},
            manifest=json.dumps(scrub_results(run).manifest, indent=2, ensure_ascii=False),
            samples=[_sample_view(r, primaries.get(r.task)) for r in samples], total=total, q=q, task=task,
            page=max(1, page), pages=max(1, math.ceil(total / PAGE_SIZE)),
        )

    @app.get("/runs/{run_id}/samples/{task}/{sample_id:path}", response_class=HTMLResponse)
    def sample_page(run_id: str, task: str, sample_id: str, format: str | None = None) -> HTMLResponse:
        info = run_info(run_id)
        record = store.sample(info.run_id, task, sample_id, format)
        if record is None:
            raise NotFound(f"no sample '{sample_id}' of task '{task}' in run {info.run_id}")
        primary = next((m.metric for m in store.metrics([info.run_id]) if m.task == task and m.position == 0), None)
        view = _sample_view(record, primary)
        steps = step_views(record.metadata)
        turns = turn_views(record.metadata)  # an agent episode, turn by turn (assay.agents)
        shown = {k: v for k, v in record.metadata.items() if k not in ("transcript", "trajectory")}
        meta = json.dumps(shown, indent=2, ensure_ascii=False, default=str)
        return render("sample.html", title=f"{sample_id} · {task}", info=info, s=view, metadata=meta, primary=primary,
                      steps=steps, turns=turns)

    @app.get("/compare", response_class=HTMLResponse)
    def compare_page(a: str = "", b: str = "", task: str = "", only: str = "diff", page: int = 1) -> HTMLResponse:
        context: dict[str, Any] = {"title": "compare", "all_runs": store.runs(), "a": a, "b": b, "only": only}
        if not (a and b):
            return render("compare.html", **context)
        run_a, run_b = load(a), load(b)
        result = compare_runs(run_a, run_b)
        tasks = [t.task for t in result.tasks]
        task = task if task in tasks else (tasks[0] if tasks else "")
        items: list[dict[str, Any]] = []
        if task:
            metric = next(t.metric for t in result.tasks if t.task == task)
            rows_b = {r.sample_id: r for r in run_b.rows(task)}
            for ra in run_a.rows(task):
                rb = rows_b.get(ra.sample_id)
                if rb is None:
                    continue
                sa, sb = score_of(ra, metric), score_of(rb, metric)
                differ = not (sa == sb or (math.isnan(sa) and math.isnan(sb)))
                keep = {"diff": differ, "a": differ and sa > sb, "b": differ and sb > sa}.get(only, True)
                if keep:
                    items.append({"a": _sample_view(ra, metric), "b": _sample_view(rb, metric), "sa": sa, "sb": sb})
        pages = max(1, math.ceil(len(items) / PAGE_SIZE))
        page = min(max(1, page), pages)
        context |= {"run_a": run_a, "run_b": run_b, "result": result, "task": task, "n_items": len(items),
                    "items": items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], "page": page,
                    "pages": pages, "a": run_a.run_id, "b": run_b.run_id}
        return render("compare.html", **context)

    @app.get("/leaderboard", response_class=HTMLResponse)
    def leaderboard_page(metric: str = "") -> HTMLResponse:
        rows = store.metrics()
        board = leaderboard(_scores(rows), metric=metric or None)
        metric_names = sorted({r.metric for r in rows})
        return render("leaderboard.html", title="leaderboard", board=board, metric=metric, metrics=metric_names)

    from assay.web.arena import register_arena  # the human arena: its one POST is CSRF-guarded there

    register_arena(app, store, render)
    from assay.web.efficiency import register_efficiency

    register_efficiency(app, store, render)
    from assay.web.series import register_series

    register_series(app, store, render)
    return app

