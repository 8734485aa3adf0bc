"""`SampleRecord`, `MetricSummary` and `Results`: the tidy per-sample table every analysis reads."""

from __future__ import annotations

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


_RECORD_FIELDS = tuple(f.name for f in fields(SampleRecord))


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
