"""The series functions the API, CLI, report and dashboard share: look a series up by id
(or by the folder, glob or YAML that defines it), build its curves, signal quality and
forecasts. Each returns the same objects the lower-level functions do."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

from assay.analyses.series.curves import QualityRow, SeriesCurves, series_curves, series_quality
from assay.analyses.series.forecast import METHODS, ForecastRow, forecast_larger, forecast_later
from assay.analyses.series.runner import SeriesManifest, list_series, load_manifest, load_series_runs
from assay.analyses.series.spec import SeriesError, is_series_spec, load_series
from assay.core.format import OptionStyle
from assay.core.task import Task, TaskKind

FORMULATIONS = ("cloze", "listed")


def with_formulations(tasks: Sequence[Task], styles: Sequence[str]) -> list[Task]:
    """Each multiple-choice task once per formulation in `styles` ('cloze': options not shown;
    'listed': options listed), named `TASK@cloze` / `TASK@listed`; other tasks unchanged.
    Built-in suites are rebuilt in the style (their version names it); other tasks get the
    style on their format and in their version."""
    from assay.tasks.builtin import make_builtin

    bad = [s for s in styles if s not in FORMULATIONS]
    if bad:
        raise SeriesError(f"unknown formulation '{bad[0]}' (cloze or listed)", field="--formulations")
    out: list[Task] = []
    for t in tasks:
        if t.kind is not TaskKind.MULTIPLE_CHOICE or t.format.verbatim:
            out.append(t)
            continue
        for style in styles:
            src = dict(t.source or {})
            if "builtin" in src:
                made = make_builtin(str(src["builtin"]), n=int(src["n"]), seed=int(src["seed"]), style=OptionStyle(style))
            else:
                made = replace(t, format=t.format.with_style(OptionStyle(style)), version=f"{t.version}-{style}")
            out.append(replace(made, name=f"{t.name}@{style}"))
    return out


def resolve_manifest(ref: str | Path) -> SeriesManifest:
    """A series manifest from its id (or unique prefix), or from the folder, glob or YAML
    that defines an already evaluated series."""
    text = str(ref)
    if is_series_spec(text):
        return load_manifest(load_series(text).id)
    return load_manifest(text)


def show_series(ref: str | Path, *, confidence: float = 0.95, n_boot: int = 1000, metric: str | None = None,
                store: str | Path | None = None) -> SeriesCurves:
    """Per-task and per-skill curves with CIs, neighbour tests and stability gaps of a series.
    `metric`: a score name (default each task's primary one) or "p_correct", the probability
    of the correct option."""
    manifest = resolve_manifest(ref)
    if not manifest.entries:
        raise SeriesError(f"series {manifest.id} has no evaluated checkpoint yet", field="SERIES_ID")
    return series_curves(manifest, load_series_runs(manifest, store), confidence=confidence, n_boot=n_boot,
                         metric=metric)


def quality_of_series(refs: Sequence[str | Path], *, until_step: int | None = None, early_fraction: float = 0.3,
                      metric: str | None = None, store: str | Path | None = None) -> list[QualityRow]:
    """E2LM signal quality of the tasks the series share (several sizes or seeds), best first."""
    if not refs:
        raise SeriesError("give at least one series", field="SERIES")
    pairs = [load_series_runs(resolve_manifest(r), store) for r in refs]
    return series_quality(pairs, until_step=until_step, early_fraction=early_fraction, metric=metric)


def forecast_series(ref: str | Path, *, fit_until: int | None = None, smaller: Sequence[str | Path] = (),
                    step: int | None = None, until: int | None = None, methods: Sequence[str] = METHODS,
                    tasks: Sequence[str] | None = None, confidence: float = 0.9, n_boot: int = 200,
                    metric: str = "acc", store: str | Path | None = None) -> list[ForecastRow]:
    """Predict scores of series `ref`: its checkpoints after `fit_until` from those before, or,
    with `smaller` series, its checkpoint at `step` from the smaller models' checkpoints."""
    target = load_series_runs(resolve_manifest(ref), store)
    if smaller:
        return forecast_larger([load_series_runs(resolve_manifest(s), store) for s in smaller], target, step=step,
                               until=until, methods=methods, tasks=tasks, confidence=confidence, n_boot=n_boot,
                               metric=metric)
    if fit_until is None:
        raise SeriesError("say which checkpoints to fit on (fit_until) or which smaller series to predict from",
                          field="--fit-until")
    return forecast_later(target, fit_until, until=until, methods=methods, tasks=tasks, confidence=confidence,
                          n_boot=n_boot, metric=metric)


__all__ = ["FORMULATIONS", "forecast_series", "list_series", "quality_of_series", "resolve_manifest", "show_series",
           "with_formulations"]
