"""`SampleRecord`, `MetricSummary` and `Results`: the tidy per-sample table every analysis reads."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Iterable, Sequence


@dataclass(frozen=True)
class SampleRecord:
    """One line of `samples.jsonl`: everything needed to trace a number back to outputs."""

    run_id: str
    task: str
    task_version: str
    model: str
    format: str
    sample_id: str
    prompt: str
    response: Any
    extracted: Any
    target: Any
    scores: dict[str, float]
    tokens_in: int
    tokens_out: int
    latency_s: float
    cached: bool
    error: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose (asdict deep-copies and dominated writing a large run); the
        # mutable fields are copied one level so the dict can be changed safely.
        data = {name: getattr(self, name) for name in _RECORD_FIELDS}
        data["scores"] = dict(self.scores)
        data["metadata"] = dict(self.metadata)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SampleRecord":
        """A record from its `samples.jsonl` form (null scores become NaN; unknown keys are ignored)."""
        scores = {k: (math.nan if v is None else float(v)) for k, v in (data.get("scores") or {}).items()}
        return cls(
            run_id=str(data.get("run_id", "")), task=str(data["task"]), task_version=str(data.get("task_version", "")),
            model=str(data.get("model", "")), format=str(data.get("format", "")), sample_id=str(data["sample_id"]),
            prompt=data.get("prompt", ""), response=data.get("response"), extracted=data.get("extracted"),
            target=data.get("target"), scores=scores, tokens_in=int(data.get("tokens_in") or 0),
            tokens_out=int(data.get("tokens_out") or 0), latency_s=float(data.get("latency_s") or 0.0),
            cached=bool(data.get("cached", False)), error=data.get("error"), metadata=dict(data.get("metadata") or {}),
        )


_RECORD_FIELDS = tuple(f.name for f in fields(SampleRecord))


RAW_SCALE_METRICS = frozenset({"word_perplexity", "byte_perplexity", "token_perplexity", "bits_per_byte",
                               "perplexity"})
"""Metrics whose values are not shares of items (shown as numbers, never as percentages,
and never averaged with accuracies)."""


@dataclass(frozen=True)
class MetricSummary:
    """A metric's mean over n samples with its standard error and a 95% interval."""

    name: str
    value: float
    n: int
    stderr: float
    ci_low: float
    ci_high: float
    method: str
    n_failed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def is_proportion(self) -> bool:
        """Whether the value is a share of items in [0, 1] (an accuracy, a pass rate), which
        pages show as a percentage; perplexities and bits per byte are not."""
        return self.name.split(",", 1)[0] not in RAW_SCALE_METRICS


@dataclass
class Results:
    """Per-sample records of a run; `to_frame()` gives a pandas DataFrame with one column
    per score (prefixed `score.`)."""

    records: list[SampleRecord] = field(default_factory=list)

    def extend(self, records: Iterable[SampleRecord]) -> None:
        self.records.extend(records)

    def for_task(self, task: str) -> Sequence[SampleRecord]:
        return [r for r in self.records if r.task == task]

    def to_frame(self):  # -> pandas.DataFrame; pandas imported lazily to keep core light
        import pandas as pd

        rows = []
        for r in self.records:
            row = {k: v for k, v in r.to_dict().items() if k not in ("scores", "metadata")}
            row.update({f"score.{k}": v for k, v in r.scores.items()})
            rows.append(row)
        return pd.DataFrame(rows)
