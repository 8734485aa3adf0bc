"""The dashboard's efficiency page: accuracy against joules and tokens per answer for the
store's recent metered runs, each task's Pareto front drawn, every energy figure labelled."""

from __future__ import annotations

from typing import Any, Callable

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from assay.report.efficiency import efficiency_section
from assay.store.db import ResultsStore

RECENT_RUNS = 20


def register_efficiency(app: FastAPI, store: ResultsStore, render: Callable[..., HTMLResponse]) -> None:
    """Add `/efficiency` to the dashboard app."""

    @app.get("/efficiency", response_class=HTMLResponse)
    def efficiency_page(model: str = "") -> HTMLResponse:
        infos = store.runs(model=model or None, limit=RECENT_RUNS)
        runs = [store.load(info.run_id) for info in infos]
        section = efficiency_section(runs) if runs else None
        return render("efficiency.html", title="efficiency", section=section, n_runs=len(runs), model=model,
                      models=sorted({i.model for i in infos}))


__all__: list[Any] = ["register_efficiency"]
