"""Entry points by name: scaling curves of model specs on a task spec, and a run's efficiency
with its price table and roofline. They load models one at a time (a 0.5B model in fp32 is
2 GB) and open the response cache; the CLI and the Python API both call these."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

from assay.analyses.efficiency.measures import RunEfficiency, run_efficiency
from assay.analyses.efficiency.prices import PriceTable
from assay.analyses.efficiency.roofline import Machine, measure_machine, model_shape
from assay.analyses.efficiency.scaling import ScaleCurve, ScaleSettings, mark_pareto, pool_task, scale
from assay.core.run import Run
from assay.engine.cache import ResponseCache
from assay.models import ModelOptions, load_model
from assay.paths import default_cache_path
from assay.tasks.resolve import resolve_tasks


def _cache(cache: str | Path | ResponseCache | None) -> tuple[ResponseCache, bool]:
    if isinstance(cache, ResponseCache):
        return cache, False
    return ResponseCache(default_cache_path() if cache == "default" else cache), True


def scale_curve(models: Sequence[str], task: str, settings: ScaleSettings = ScaleSettings(), *,
                limit: int | None = None, prices: PriceTable | None = None,
                cache: str | Path | ResponseCache | None = "default", model_args: dict[str, str] | None = None,
                show_progress: bool = False, on_message: Callable[[str], None] | None = None,
                verifier_model: str | None = None) -> ScaleCurve:
    """Scaling curves of each model spec on one generation task spec, with the Pareto fronts
    across all of them. A price table, when given, must list every model (checked first).
    `verifier_model` (a spec) scores best-of-N answers instead of each model itself."""
    say = on_message or (lambda _m: None)
    (resolved,) = resolve_tasks([task], seed=settings.seed)
    pool_task(resolved, settings)  # a task or setting that cannot make a curve fails before any model loads
    if prices is not None:
        prices.check_models(models)
    response_cache, opened = _cache(cache)
    curve = ScaleCurve(task=resolved.name, settings=settings)
    verifier = None
    if verifier_model:
        verifier = load_model(verifier_model, ModelOptions(), progress=say)
        settings = replace(settings, verifier_model=verifier)
    try:
        for spec in models:
            model = load_model(spec, ModelOptions(extra=dict(model_args or {})), progress=say)
            try:
                part = scale([model], resolved, response_cache, settings, limit=limit, prices=prices,
                             show_progress=show_progress, model_specs=[spec])
            finally:
                model.close()
            curve.points.extend(part.points)
            curve.runs.update(part.runs)
    finally:
        if verifier is not None:
            verifier.close()
        if opened:
            response_cache.close()
    curve.points = mark_pareto(curve.points)
    return curve


def efficiency_of(run: Run, *, prices: PriceTable | None = None, roofline: bool = False,
                  model_args: dict[str, str] | None = None, machine: Machine | None = None,
                  on_message: Callable[[str], None] | None = None) -> RunEfficiency:
    """`run_efficiency` of a finished run; `roofline=True` loads the run's model (by its spec)
    to read its architecture and measures this machine's peaks (about a second)."""
    shape = None
    if roofline:
        model = load_model(run.model, ModelOptions(extra=dict(model_args or {})), progress=on_message or (lambda _m: None))
        try:
            shape = model_shape(model)
        finally:
            model.close()
        machine = machine or measure_machine()
    return run_efficiency(run, prices, shape=shape, machine=machine)
