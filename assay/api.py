"""The public entry points: `evaluate`, `evaluate_async` and `load_run`.

These do what `assay run` does — resolve task specs, load the model, open the response
cache, run, write the run directory and store it — so the CLI only parses and prints, and
a notebook gets the same run in one line:

    import assay
    run = assay.evaluate("smollm2", ["logic-mc", "quiz.jsonl"], limit=20)
    run.metrics["logic-mc"]["acc"]          # MetricSummary(value, n, stderr, ci_low, ci_high, method)

Model and task arguments accept specs (strings) or objects. A model given as a spec is
loaded here and closed when the run ends; a model object belongs to the caller.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Sequence, Union

from rich.console import Console

from assay.core.run import Run
from assay.core.task import Task
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate_async as _engine_evaluate, run_sync
from assay.errors import ConfigError

ModelArg = Any
"""A model spec ("smollm2", "hf:…", "openai:MODEL@URL", …) or a loaded model object."""
TaskArg = Union[str, Path, Task]
"""A built-in suite or group name (with `:n=…,seed=…`), a task file path, or a `Task`."""

DEFAULT_CACHE = "default"
"""`cache=DEFAULT_CACHE` uses `$ASSAY_HOME/responses.sqlite`; `None` keeps answers in memory only."""


def resolve_task_args(tasks: TaskArg | Sequence[TaskArg], *, seed: int = 0, formats: int = 1,
                      format_seed: int = 0) -> list[Task]:
    """Task specs and objects to tasks; with `formats > 1`, each task once per sampled prompt
    format (the first is the default), named `TASK@fmt-…`."""
    from assay.tasks.resolve import resolve_tasks

    items = [tasks] if isinstance(tasks, (str, Path, Task)) else list(tasks)
    resolved: list[Task] = []
    for item in items:  # a spec may name a group: it expands to several tasks
        resolved.extend([item] if isinstance(item, Task) else resolve_tasks([str(item)], seed=seed))
    if formats > 1:
        from assay.analyses.robustness.runner import format_variants
        from assay.tasks.format_grammar import sample_formats

        for task in resolved:
            if task.format.verbatim:
                raise ConfigError(f"task '{task.name}' gives its prompt verbatim (a template): there is no "
                                  "layout for --formats to vary", field="--formats",
                                  hint="drop --formats for this task, or write its prompt with a `format:` mapping")
        # Each task's formats keep its option style (cloze or listed): only the layout varies.
        resolved = [v for t in resolved for v in format_variants(t, sample_formats(formats, format_seed,
                                                                                    style=t.format.style))]
    return resolved


def _open_cache(cache: str | Path | ResponseCache | None) -> tuple[ResponseCache, bool, str | None]:
    """The cache to use, whether we opened it (and must close it), and its path for the manifest."""
    if isinstance(cache, ResponseCache):
        return cache, False, str(cache.path) if cache.path else None
    if cache is None:
        return ResponseCache(None), True, None
    if cache == DEFAULT_CACHE:
        from assay.paths import default_cache_path

        path = default_cache_path()
    else:
        path = Path(cache)
    return ResponseCache(path), True, str(path)


async def evaluate_async(
    model: ModelArg,
    tasks: TaskArg | Sequence[TaskArg],
    *,
    limit: int | None = None,
    seed: int = 0,
    cache: str | Path | ResponseCache | None = DEFAULT_CACHE,
    model_args: dict[str, Any] | None = None,
    batch_size: int | None = None,
    formats: int = 1,
    format_seed: int = 0,
    out: str | Path | None = None,
    store: str | Path | bool | None = None,
    show_progress: bool = False,
    chunk_size: int = 64,
    console: Console | None = None,
    on_message: Callable[[str], None] | None = None,
    executor: Any = None,
) -> Run:
    """Evaluate `model` on `tasks` and return the `Run`.

    `limit`: first N samples per task. `seed`: suite generation, few-shot choice, sampling.
    `cache`: a file, a `ResponseCache`, `None` (memory only) or the default file.
    `model_args`: adapter settings (validated by the adapter; a misspelled one is an error).
    `out`: also write `samples.jsonl` and `results.json` there. `store`: also save the run
    to the results store (`True` for the default one, or a SQLAlchemy URL / SQLite file);
    a store failure only warns through `on_message` (the files are written first).
    Raises `PermanentModelError` at the first permanent failure; answers received before it
    stay cached, so fixing the cause and rerunning resumes.
    `executor`: an `assay.RayExecutor` shards the requests over Ray actors that each load the
    model (a spec, or a picklable zero-argument factory); this process alone writes the cache
    and the run, and the results equal a single-process run's (`assay.verify_runs`)."""
    say = on_message or (lambda _m: None)
    resolved = resolve_task_args(tasks, seed=seed, formats=formats, format_seed=format_seed)  # fail before loading
    owned = isinstance(model, str) or executor is not None
    spec = model if isinstance(model, str) else (None if executor is not None else model_spec_of(model))
    load_s = 0.0
    if executor is not None:
        began = time.perf_counter()
        model = executor.start(model, extra=dict(model_args or {}), batch_size=batch_size, max_batch=chunk_size,
                               progress=say)
        spec = spec or model.spec
        load_s = time.perf_counter() - began
    elif owned:
        from assay.models import ModelOptions, load_model

        began = time.perf_counter()
        model = load_model(model, ModelOptions(batch_size=batch_size, extra=dict(model_args or {})), progress=say)
        load_s = time.perf_counter() - began
        say(f"model {model.info.name} ready in {load_s:.1f} s")
    response_cache, opened, cache_path = _open_cache(cache)
    try:
        run = await _engine_evaluate(
            model, resolved, response_cache,
            RunOptions(limit=limit, seed=seed, chunk_size=chunk_size, show_progress=show_progress),
            model_spec=spec, console=console,
            manifest_extra={"model_load_seconds": round(load_s, 2), "cache": cache_path,
                            "batch_size": batch_size or "auto", "out_dir": str(out) if out else None},
        )
    finally:
        if opened:
            response_cache.close()
        if owned:
            model.close()
    _save_run(run, out, store, say)
    return run


def _save_run(run: Run, out: str | Path | None, store: str | Path | bool | None, say: Callable[[str], None]) -> None:
    """Write the run directory, then store it; a store failure only warns (the files are written)."""
    if out is not None:
        run.save(out)
        if store not in (None, False):
            try:  # the run's files are written: a store failure must only warn
                from assay.store import save_run_dir

                save_run_dir(Path(out), None if store is True else store)
                say(f"saved run {run.run_id} to the results store")
            except Exception as exc:  # noqa: BLE001 - nothing may cost a finished run its output
                say(f"warning: the run was not saved to the results store ({exc}); its files are in {out}: "
                    f"`assay import {out}` stores it later")


async def evaluate_adaptive_async(model: ModelArg, task: TaskArg, calibration: str | Path, *,
                                  target_se: float | None = None, max_items: int = 50, exposure: int = 5,
                                  seed: int = 0, out: str | Path | None = None,
                                  store: str | Path | bool | None = None,
                                  on_message: Callable[[str], None] | None = None, **options: Any) -> Run:
    """Administer one task adaptively (issue 13): items chosen one at a time by maximum
    information from the answers so far, with `calibration` (an `assay irt fit` file), until
    the ability SE reaches `target_se` or `max_items` are asked. The run's table holds the
    predicted full-task accuracy with its interval; `run.manifest["adaptive"]` the item
    sequence, answers and estimate. Other options are `evaluate_async`'s."""
    from assay.analyses.adaptive_run import adaptive_task, finish_adaptive_run
    from assay.analyses.irt_calibration import load_calibration

    resolved = resolve_task_args(task, seed=seed)
    if len(resolved) != 1:
        raise ConfigError(f"an adaptive run takes one task; {task!r} is {len(resolved)}", field="TASK")
    cal = load_calibration(calibration)
    wrapper, state = adaptive_task(resolved[0], cal, calibration_path=calibration, target_se=target_se,
                                   max_items=max_items, seed=seed, exposure=exposure)
    say = on_message or (lambda _m: None)
    run = await evaluate_async(model, wrapper, seed=seed, out=None, store=None, on_message=on_message, **options)
    finish_adaptive_run(run, state)
    _save_run(run, out, store, say)
    return run


def evaluate_adaptive(model: ModelArg, task: TaskArg, calibration: str | Path, **options: Any) -> Run:
    """`evaluate_adaptive_async` run to completion."""
    return run_sync(evaluate_adaptive_async(model, task, calibration, **options))


def model_spec_of(model: Any) -> str:
    """The spec a loaded model was built from when it kept one, else its name."""
    return str(getattr(model, "spec", None) or model.info.name)


def evaluate(model: ModelArg, tasks: TaskArg | Sequence[TaskArg], **options: Any) -> Run:
    """`evaluate_async` run to completion; works inside a running event loop too (a notebook)."""
    return run_sync(evaluate_async(model, tasks, **options))


def load_run(path_or_id: str | Path, store: str | Path | None = None) -> Run:
    """A saved run: a run directory (`samples.jsonl` + `results.json`), else a run id (or
    a unique prefix of one) in the results store."""
    from assay.store import load_run as _load

    return _load(path_or_id, store)


def evaluate_series(series: Any, tasks: TaskArg | Sequence[TaskArg], *, formulations: Sequence[str] | None = None,
                    shift: int | None = None, limit: int | None = None, seed: int = 0,
                    cache: str | Path | ResponseCache | None = DEFAULT_CACHE, out: str | Path = "runs",
                    store: str | Path | bool | None = True, batch_size: int | None = None,
                    show_progress: bool = False, console: Console | None = None,
                    on_message: Callable[[str], None] | None = None) -> Any:
    """Evaluate every checkpoint of a training run (issue 20) and return its `SeriesManifest`.

    `series`: a folder of step-N checkpoints, a glob, a series YAML file, or a `Series`.
    `formulations`: ask each multiple-choice task as ("cloze", "listed") too, as TASK@cloze
    and TASK@listed. `shift`: the step of a domain shift when the series does not mark it.
    Each checkpoint's run is written under `out/<series id>/` and stored; checkpoints already
    evaluated on the same tasks are skipped and answers come from the response cache, so a
    grown series costs only its new checkpoints."""
    from assay.analyses.series import load_series, run_series_async
    from assay.analyses.series.public import with_formulations

    resolved = resolve_task_args(tasks, seed=seed)
    if formulations:
        resolved = with_formulations(resolved, formulations)
    chosen = load_series(series, shift=shift) if isinstance(series, (str, Path)) else series
    response_cache, opened, _ = _open_cache(cache)
    try:
        return run_sync(run_series_async(chosen, resolved, out=out, limit=limit, seed=seed, cache=response_cache,
                                         store=store, batch_size=batch_size, show_progress=show_progress,
                                         console=console, on_message=on_message))
    finally:
        if opened:
            response_cache.close()
