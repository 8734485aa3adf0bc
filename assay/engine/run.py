"""Evaluate one model on a list of tasks: plan, execute (with the cache), score, summarise.

This is the one entry point the CLI, the Python API and the dashboard share.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from assay.core.results import MetricSummary, Results, SampleRecord
from assay.core.task import Task
from assay.engine.cache import ResponseCache
from assay.engine.executor import ExecutionStats, execute
from assay.engine.heap import held_out_of_gc
from assay.engine.manifest import base_manifest, now_iso
from assay.engine.prompts import plan_task
from assay.engine.scoring import score_task
from assay.models.base import Model
from assay.stats import summarize


@dataclass(frozen=True)
class RunOptions:
    """How to run: `limit` samples per task (first N), master `seed` (few-shot choice and
    sampling seeds), and how many requests go to the model per cached chunk."""

    limit: int | None = None
    seed: int = 0
    chunk_size: int = 64
    show_progress: bool = True


@dataclass
class TaskReport:
    task: Task
    records: list[SampleRecord]
    metrics: dict[str, MetricSummary]
    stats: ExecutionStats

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.task.version,
            "kind": self.task.kind.value,
            "family": self.task.family,
            "source": dict(self.task.source),
            "format": self.task.format.to_dict(),
            "fewshot": {"k": self.task.fewshot.k, "seed": self.task.fewshot.seed},
            "n": len(self.records),
            "n_failed": sum(1 for r in self.records if r.error),
            "metrics": {name: m.to_dict() for name, m in self.metrics.items()},
            "requests": self.stats.to_dict(),
        }


@dataclass
class RunResult:
    run_id: str
    model_spec: str
    reports: list[TaskReport]
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def results(self) -> Results:
        return Results([r for rep in self.reports for r in rep.records])

    @property
    def stats(self) -> ExecutionStats:
        total = ExecutionStats()
        for rep in self.reports:
            total.add(rep.stats)
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "model": self.model_spec,
            "tasks": {rep.task.name: rep.to_dict() for rep in self.reports},
            "manifest": self.manifest,
        }


class _RateColumn(ProgressColumn):
    def render(self, task) -> Text:  # type: ignore[no-untyped-def]
        speed = task.finished_speed or task.speed
        return Text("-- items/s" if speed is None else f"{speed:.2f} items/s", style="cyan")


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def summarize_records(task: Task, records: Sequence[SampleRecord]) -> dict[str, MetricSummary]:
    """Each metric's mean with its 95% interval (Wilson for 0/1 scores; clustered when items
    share a group id). Failed samples are excluded and counted."""
    out = {}
    clusters = [r.metadata.get("group") for r in records]
    for name in task.metric_names:
        values = [r.scores.get(name, math.nan) for r in records]
        out[name] = summarize(name, values, clusters=clusters)
    return out


def evaluate(
    model: Model,
    tasks: Sequence[Task],
    cache: ResponseCache,
    options: RunOptions = RunOptions(),
    *,
    model_spec: str | None = None,
    console: Console | None = None,
    manifest_extra: dict[str, Any] | None = None,
) -> RunResult:
    """Run every task against the model and return per-sample records and metric summaries."""
    console = console or Console(stderr=True)
    spec = model_spec or model.info.name
    manifest = base_manifest()
    manifest["model"] = model.info.to_dict()
    manifest["seed"] = options.seed
    manifest["limit"] = options.limit
    manifest.update(manifest_extra or {})
    run = RunResult(run_id=new_run_id(), model_spec=spec, reports=[], manifest=manifest)

    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), _RateColumn(),
        TextColumn("ETA"), TimeRemainingColumn(), console=console, disable=not options.show_progress,
    )
    with progress:
        for task in tasks:
            with held_out_of_gc() as hold:
                samples = list(task.load())
                if options.limit is not None:
                    samples = samples[: options.limit]
                planned = plan_task(task, samples, seed=options.seed)
                hold()  # samples, prompts and requests live to the end of the run
                bar = progress.add_task(task.name, total=len(planned))
                responses, from_cache, stats = execute(
                    model, planned, cache, chunk_size=options.chunk_size,
                    on_samples_done=lambda n, bar=bar: progress.advance(bar, n),
                )
                records = score_task(task, planned, responses, from_cache, run_id=run.run_id, model_name=spec)
                run.reports.append(TaskReport(task, records, summarize_records(task, records), stats))
    cache.flush()  # every answer is on disk before the caller writes any score
    manifest["finished"] = now_iso()
    manifest["requests"] = run.stats.to_dict()
    transport = getattr(model, "transport_stats", None)  # API adapters: attempts, retries, failures
    if callable(transport):
        manifest["transport"] = transport()
    manifest["tasks"] = {
        r.task.name: {"version": r.task.version, "source": dict(r.task.source), "n": len(r.records)}
        for r in run.reports
    }
    return run
