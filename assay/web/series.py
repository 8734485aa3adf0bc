"""The dashboard's training-run pages: `/series` lists the evaluated checkpoint series and
`/series/{id}` shows one: ability curves with CI bands (shift and stability gap marked),
per-skill curves, and the series' signal quality (issue 20)."""

from __future__ import annotations

from typing import Any, Callable

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from assay.analyses.series import SeriesError, list_series, load_series_runs, series_curves, series_quality
from assay.analyses.series.public import resolve_manifest
from assay.report.series import series_section
from assay.store.db import ResultsStore


def register_series(app: FastAPI, store: ResultsStore, render: Callable[..., HTMLResponse]) -> None:
    """Add `/series` and `/series/{series_id}` to the dashboard app."""

    @app.get("/series", response_class=HTMLResponse)
    def series_list_page() -> HTMLResponse:
        rows = [{"id": m.id, "name": m.name, "n": len(m.entries), "shift": m.shift,
                 "steps": f"{m.entries[0].step}–{m.entries[-1].step}" if m.entries else "–"} for m in list_series()]
        return render("series.html", title="training runs", rows=rows, section=None, series=None)

    @app.get("/series/{series_id}", response_class=HTMLResponse)
    def series_page(series_id: str) -> HTMLResponse:
        try:
            manifest = resolve_manifest(series_id)
            pairs = load_series_runs(manifest, store)  # type: ignore[arg-type]
        except SeriesError as exc:
            return render("series.html", status=404, title="training runs", rows=None, section=None, series=None,
                          error=str(exc))
        curves = series_curves(manifest, pairs, n_boot=500)
        quality = series_quality([pairs]) if len(pairs) >= 2 else []
        return render("series.html", title=f"series {manifest.name}", rows=None, series=manifest,
                      section=series_section(curves, quality))


__all__: list[Any] = ["register_series"]
