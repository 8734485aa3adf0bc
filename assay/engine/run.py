"""Evaluate one model on a list of tasks: plan, solve (through the cache), score, summarise.

`evaluate_async` is the engine; `evaluate` runs it to completion from synchronous code.
Tasks run one after another; within a task, up to `RunOptions.samples_in_flight` samples are
solved concurrently, each by its task's solver, and their steps meet in one scheduler per
model (`assay.engine.steps`). A `PermanentModelError` stops the run at its first occurrence:
answers already received stay in the cache, and the error is raised to the caller.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import secrets
import threading
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime, timezone
from typing import Any, Iterator, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from assay.core.aggregation import RatioAggregate
from assay.core.results import MetricSummary, SampleRecord
from assay.core.run import Run, ScorerSpec, TaskResult
from assay.core.solver import PlannedSample, StepFailed
from assay.core.task import Task, TaskKind
from assay.engine.cache import ResponseCache
from assay.engine.heap import held_out_of_gc
from assay.engine.manifest import base_manifest, now_iso
from assay.engine.meters import default_meter
from assay.engine.prompts import chat_renderer, plan_task
from assay.engine.scoring import Answered, score_task
from assay.engine.solvers import solver_for
from assay.engine.steps import ExecutionStats, SampleContext, StepRunner
from assay.engine.usage_summary import summarize_usage
from assay.models.base import check_capabilities
from assay.stats import summarize
from assay.stats.ratio import summarize_ratio


@dataclass(frozen=True)
class RunOptions:
    """How to run: `limit` samples per task (first N), master `seed` (few-shot choice and
    sampling seeds), the most requests one model call may carry (`chunk_size`, the
    micro-batcher's batch limit), and how many samples are solved at once."""

    limit: int | None = None
    seed: int = 0
    chunk_size: int = 64
    show_progress: bool = True
    samples_in_flight: int | None = None
    """Default: max(64, chunk_size, twice the model's concurrency). More samples in flight
    only queue more units: the batcher already has several batches waiting, and each extra
    waiting sample costs the event loop (measured: 64 in flight ~20% faster than 256)."""


class _RateColumn(ProgressColumn):
    def render(self, task) -> Text:  # type: ignore[no-untyped-def]
        speed = task.finished_speed or task.speed
        return Text("-- items/s" if speed is None else f"{speed:.2f} items/s", style="cyan")


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def summarize_records(task: Task, records: Sequence[SampleRecord]) -> dict[str, MetricSummary]:
    """Each metric's mean with its 95% interval (Wilson for 0/1 scores; clustered when items
    share a group id). A metric a scorer declares in `ratio_metrics` (perplexity) is instead
    its ratio of sums over samples, with a delta-method interval (`assay.stats.ratio`).
    Failed samples are excluded and counted."""
    out = {}
    clusters = [r.metadata.get("group") for r in records]
    ratios: dict[str, RatioAggregate] = {}
    for scorer in task.scorers:
        ratios.update(getattr(scorer, "ratio_metrics", None) or {})
    for name in task.metric_names:
        ratio = ratios.get(name)
        if ratio is not None:
            out[name] = summarize_ratio(name, [r.scores.get(ratio.numerator, math.nan) for r in records],
                                        [r.scores.get(ratio.denominator, math.nan) for r in records], ratio.transform)
            continue
        values = [r.scores.get(name, math.nan) for r in records]
        out[name] = summarize(name, values, clusters=clusters)
    return out


def scorer_spec(scorer: Any) -> ScorerSpec:
    """A scorer's registered name and the constructor parameters it keeps as attributes (the
    built-in scorers store each parameter under its own name), so a run can be rebuilt."""
    explicit = getattr(scorer, "spec", None)
    if isinstance(explicit, ScorerSpec):
        return explicit
    name = str(getattr(scorer, "name", type(scorer).__name__))
    params: dict[str, Any] = {}
    if is_dataclass(scorer):
        params = {f.name: getattr(scorer, f.name) for f in fields(scorer) if f.name not in ("name", "metrics")}
    else:
        try:
            signature = inspect.signature(type(scorer).__init__)
        except (TypeError, ValueError):
            signature = None
        if signature is not None:
            for pname in list(signature.parameters)[1:]:
                if hasattr(scorer, pname):
                    params[pname] = getattr(scorer, pname)
    safe = {k: v for k, v in params.items() if isinstance(v, (str, int, float, bool, type(None), list, tuple, dict))}
    return ScorerSpec(name, {k: list(v) if isinstance(v, tuple) else v for k, v in safe.items()})


def task_result(task: Task, records: Sequence[SampleRecord], stats: ExecutionStats) -> TaskResult:
    """The summary a run keeps of one task: its recipe and its scores."""
    return TaskResult(
        name=task.name, version=task.version, kind=task.kind.value, family=task.family, source=dict(task.source),
        format=task.format.to_dict(), fewshot={"k": task.fewshot.k, "seed": task.fewshot.seed},
        scorers=[scorer_spec(s) for s in task.scorers],
        generation=task.generation.to_dict() if task.kind is TaskKind.GENERATE else None,
        n=len(records), n_failed=sum(1 for r in records if r.error),
        metrics=summarize_records(task, records), requests=stats.to_dict(),
    )


def check_task_capabilities(model: Any, tasks: Sequence[Task]) -> None:
    """Refuse, before any request, a run whose tasks need a request kind the backend cannot
    answer (a custom solver may use either kind: its requests fail on their own).

    Every adapter generates; only a run that scores log-likelihoods reads `capabilities`,
    because for an API that read costs a probe of the server (two requests)."""
    plain = [t for t in tasks if t.solver is None]
    needs_ll = any(t.kind is TaskKind.MULTIPLE_CHOICE for t in plain)
    needs_rolling = any(t.kind is TaskKind.PERPLEXITY for t in plain)
    if not (needs_ll or needs_rolling):
        return
    caps = getattr(model, "capabilities", None)
    if caps is None:
        return
    check_capabilities(caps, needs_loglikelihood=needs_ll, model_name=model.info.name,
                       needs_generate=any(t.kind is TaskKind.GENERATE for t in plain),
                       needs_loglikelihood_rolling=needs_rolling)


async def _solve_task(runner: StepRunner, task: Task, planned: list[PlannedSample], options: RunOptions,
                      on_done: Any) -> list[Answered]:
    """Run the task's solver on every planned sample, at most `samples_in_flight` at once."""
    solver = solver_for(task)
    answered: list[Answered | None] = [None] * len(planned)
    # Longest prompt first: the biggest batches run (and fail, if memory is short) early.
    order = sorted(range(len(planned)), key=lambda i: -len(planned[i].prompt))
    runner.main.prefetch(r for p in planned for r in p.requests)
    queue: Iterator[int] = iter(order)

    async def worker() -> None:
        for i in queue:
            ctx = SampleContext(runner, planned[i])
            try:
                output = await solver(planned[i], ctx)
                result = Answered(output, None, ctx.cached)
            except StepFailed as failed:
                result = Answered(None, failed.message, False)
            if len(ctx.steps) > 1:
                result.transcript = ctx.transcript()
            answered[i] = result
            on_done(1)

    in_flight = options.samples_in_flight or max(64, options.chunk_size,
                                                 2 * int(getattr(runner.main.model, "max_concurrency", 0) or 0))
    workers = max(1, min(in_flight, len(planned)))
    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(worker())
    except BaseExceptionGroup as failure:  # the first failure (e.g. a permanent error) stops the task
        raise failure.exceptions[0] from None
    return answered  # type: ignore[return-value]


async def evaluate_async(
    model: Any,
    tasks: Sequence[Task],
    cache: ResponseCache,
    options: RunOptions = RunOptions(),
    *,
    model_spec: str | None = None,
    console: Console | None = None,
    manifest_extra: dict[str, Any] | None = None,
) -> Run:
    """Run every task against the model and return the run: per-sample records and each
    task's metric summaries. Raises `PermanentModelError` at the first permanent failure
    (every answer received before it is in the cache)."""
    check_task_capabilities(model, tasks)
    chat_template = chat_renderer(model, tasks)  # a task that needs one fails here, before any request
    console = console or Console(stderr=True)
    spec = model_spec or model.info.name
    manifest = base_manifest()
    manifest["model"] = model.info.to_dict()
    manifest["seed"] = options.seed
    manifest["limit"] = options.limit
    manifest.update(manifest_extra or {})
    run = Run(run_id=new_run_id(), model=spec, manifest=manifest)
    runner = StepRunner(model, cache, max_batch=options.chunk_size)
    total = ExecutionStats()
    efficiency: dict[str, Any] = {}

    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), _RateColumn(),
        TextColumn("ETA"), TimeRemainingColumn(), console=console, disable=not options.show_progress,
    )
    try:
        with progress:
            for task in tasks:
                with held_out_of_gc() as hold:
                    samples = list(task.load())
                    if options.limit is not None:
                        samples = samples[: options.limit]
                    planned = plan_task(task, samples, seed=options.seed, chat_template=chat_template)
                    hold()  # samples, prompts and requests live to the end of the run
                    bar = progress.add_task(task.name, total=len(planned))
                    runner.stats = stats = ExecutionStats()
                    answered = await _solve_task(runner, task, planned, options,
                                                 lambda n, bar=bar: progress.advance(bar, n))
                    records = score_task(task, planned, answered, run_id=run.run_id, model_name=spec)
                    run.tasks[task.name] = task_result(task, records, stats)
                    efficiency[task.name] = summarize_usage(records)
                    run.samples.extend(records)
                    total.add(stats)
    finally:
        await runner.aclose()
        cache.flush()  # every answer received is on disk before the caller writes any score
    manifest["finished"] = now_iso()
    manifest["requests"] = total.to_dict()
    manifest["efficiency"] = {"meter": default_meter().describe(), "tasks": efficiency}
    transport = getattr(model, "transport_stats", None)  # API adapters: attempts, retries, failures
    if callable(transport):
        manifest["transport"] = transport()
    executor = getattr(model, "executor_stats", None)  # a sharded run: workers, deaths, retried units
    if callable(executor):
        manifest["executor"] = executor()
    manifest["tasks"] = {t.name: {"version": t.version, "source": dict(t.source), "n": t.n} for t in run.tasks.values()}
    return run


def run_sync(coro: Any) -> Any:
    """Run a coroutine to completion from synchronous code: in this thread when no event loop
    runs here, else (a notebook, a Playwright session) in a fresh worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 — re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="assay-evaluate")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def evaluate(
    model: Any,
    tasks: Sequence[Task],
    cache: ResponseCache,
    options: RunOptions = RunOptions(),
    **kwargs: Any,
) -> Run:
    """`evaluate_async`, run to completion (see `run_sync`)."""
    return run_sync(evaluate_async(model, tasks, cache, options, **kwargs))


