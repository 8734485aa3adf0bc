"""`Run` and `TaskResult`: one finished evaluation, the one in-memory type of a run.

The engine builds it; the store writes and reads it (`results.json` + `samples.jsonl`, or a
database); compare, report, web and every analysis read it. Nothing downstream reads a
run's raw JSON dicts.

`results.json` is `Run.to_dict()` minus the samples; each task records its scorer specs
(name + parameters) and generation parameters, so a run can be rebuilt from its log.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from assay.core.results import MetricSummary, Results, SampleRecord

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def metric_from_dict(data: Mapping[str, Any], name: str = "") -> MetricSummary:
    """A `MetricSummary` from its JSON form (null = NaN)."""
    return MetricSummary(
        name=str(data.get("name", name)), value=_num(data.get("value")), n=int(data.get("n") or 0),
        stderr=_num(data.get("stderr")), ci_low=_num(data.get("ci_low")), ci_high=_num(data.get("ci_high")),
        method=str(data.get("method", "")), n_failed=int(data.get("n_failed") or 0),
    )


@dataclass(frozen=True)
class ScorerSpec:
    """How to rebuild a scorer: its registered name and the parameters it was built with."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ScorerSpec":
        return cls(str(data["name"]), dict(data.get("params") or {}))


@dataclass
class TaskResult:
    """One task of a run: what it was (version, kind, format, few-shot, scorers, generation
    parameters) and what it scored (`metrics`, in the task's order: the first is primary)."""

    name: str
    version: str = ""
    kind: str = ""
    family: str = ""
    source: dict[str, Any] = field(default_factory=dict)
    format: dict[str, Any] = field(default_factory=dict)
    fewshot: dict[str, Any] = field(default_factory=dict)
    scorers: list[ScorerSpec] = field(default_factory=list)
    generation: dict[str, Any] | None = None
    n: int = 0
    n_failed: int = 0
    metrics: dict[str, MetricSummary] = field(default_factory=dict)
    requests: dict[str, Any] = field(default_factory=dict)

    @property
    def primary_metric(self) -> str | None:
        return next(iter(self.metrics), None)

    @property
    def base_name(self) -> str:
        """The task without a `--formats` variant suffix (`TASK@fmt-…` → `TASK`)."""
        return self.name.split("@", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "kind": self.kind, "family": self.family, "source": dict(self.source),
            "format": dict(self.format), "fewshot": dict(self.fewshot),
            "scorers": [s.to_dict() for s in self.scorers], "generation": self.generation,
            "n": self.n, "n_failed": self.n_failed,
            "metrics": {name: m.to_dict() for name, m in self.metrics.items()},
            "requests": dict(self.requests),
        }

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> "TaskResult":
        return cls(
            name=name, version=str(data.get("version", "")), kind=str(data.get("kind", "")),
            family=str(data.get("family", "")), source=dict(data.get("source") or {}),
            format=dict(data.get("format") or {}), fewshot=dict(data.get("fewshot") or {}),
            scorers=[ScorerSpec.from_dict(s) for s in data.get("scorers") or []],
            generation=data.get("generation"), n=int(data.get("n") or 0), n_failed=int(data.get("n_failed") or 0),
            metrics={m: metric_from_dict(v, m) for m, v in (data.get("metrics") or {}).items()},
            requests=dict(data.get("requests") or {}),
        )


@dataclass
class Run:
    """A finished run: its tasks' summaries, its per-sample records and its manifest.

    `path` is where it was read from or saved to (None for a run only in memory)."""

    run_id: str
    model: str
    tasks: dict[str, TaskResult] = field(default_factory=dict)
    samples: list[SampleRecord] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    # -- reading -------------------------------------------------------------------------
    @property
    def metrics(self) -> dict[str, dict[str, MetricSummary]]:
        """{task: {metric: summary}}; a task's first metric is its primary one."""
        return {name: dict(t.metrics) for name, t in self.tasks.items()}

    @property
    def results(self) -> Results:
        return Results(list(self.samples))

    @property
    def n_failed(self) -> int:
        return sum(1 for s in self.samples if s.error)

    @property
    def all_failed(self) -> bool:
        """True when the run has samples and not one of them was answered."""
        return bool(self.samples) and self.n_failed == len(self.samples)

    def rows(self, task: str) -> list[SampleRecord]:
        """The records of one task, in sample order."""
        return [s for s in self.samples if s.task == task]

    def task_metrics(self, task: str) -> list[str]:
        t = self.tasks.get(task)
        return list(t.metrics) if t else []

    def primary_metric(self, task: str) -> str | None:
        t = self.tasks.get(task)
        return t.primary_metric if t else None

    def to_frame(self) -> "pd.DataFrame":
        """One row per sample, one `score.NAME` column per score."""
        return self.results.to_frame()

    # -- writing and comparing -------------------------------------------------------------
    def to_dict(self, *, with_samples: bool = False) -> dict[str, Any]:
        """The `results.json` form (samples only when asked: they go to samples.jsonl)."""
        data: dict[str, Any] = {
            "run_id": self.run_id, "model": self.model,
            "tasks": {name: t.to_dict() for name, t in self.tasks.items()},
            "manifest": self.manifest,
        }
        if with_samples:
            data["samples"] = [s.to_dict() for s in self.samples]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], samples: Iterable[SampleRecord] = (),
                  path: Path | None = None) -> "Run":
        return cls(
            run_id=str(data.get("run_id") or (path.name if path else "")), model=str(data.get("model", "?")),
            tasks={name: TaskResult.from_dict(name, t) for name, t in (data.get("tasks") or {}).items()},
            samples=list(samples), manifest=dict(data.get("manifest") or {}), path=path,
        )

    def save(self, directory: str | Path) -> Path:
        """Write `samples.jsonl` and `results.json` under `directory` (atomically) and return it."""
        from assay.store.rundir import write_run_dir  # the store owns the file format

        self.path = write_run_dir(self, directory)
        return self.path

    def compare(self, other: "Run", metric: str | None = None, **options: Any) -> Any:
        """Paired comparison, item by item, of this run (A) against `other` (B): a
        `RunComparison` with per-task differences, intervals, p-values and corrections."""
        from assay.analyses.compare import compare_runs

        return compare_runs(self, other, metric=metric, **options)
