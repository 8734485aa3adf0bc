"""Format spread: accuracy across K prompt formats, with each format's interval.

FormatSpread's point is to report a *range* of plausible performance instead of one number:
per task, the min, max, range and standard deviation of the formats' accuracies, which
formats were best and worst, and each format's own Wilson interval (so a reader can see
whether the spread exceeds what n items could resolve).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from assay.core.results import SampleRecord
from assay.stats import wilson

FORMAT_TASK_SEP = "@"
"""Format variants of a task are named TASK@FORMAT_ID (see `runner.format_variants`)."""


@dataclass(frozen=True)
class FormatScore:
    format: str
    accuracy: float
    ci_low: float
    ci_high: float
    n: int


@dataclass(frozen=True)
class FormatSpread:
    """One task's accuracy over formats. `std` is the sample standard deviation across formats."""

    task: str
    metric: str
    scores: tuple[FormatScore, ...]
    default: FormatScore | None

    @property
    def accuracies(self) -> np.ndarray:
        return np.array([s.accuracy for s in self.scores])

    @property
    def min(self) -> float:
        return float(self.accuracies.min())

    @property
    def max(self) -> float:
        return float(self.accuracies.max())

    @property
    def range(self) -> float:
        return self.max - self.min

    @property
    def std(self) -> float:
        acc = self.accuracies
        return float(acc.std(ddof=1)) if len(acc) > 1 else 0.0

    @property
    def best(self) -> FormatScore:
        return max(self.scores, key=lambda s: s.accuracy)

    @property
    def worst(self) -> FormatScore:
        return min(self.scores, key=lambda s: s.accuracy)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task, "metric": self.metric, "n_formats": len(self.scores),
            "min": self.min, "max": self.max, "range": self.range, "std": self.std,
            "best": self.best.format, "worst": self.worst.format,
            "default": None if self.default is None else self.default.accuracy,
            "formats": [s.__dict__ for s in self.scores],
        }


def format_spread(task: str, per_format: Mapping[str, Sequence[float]], metric: str = "acc",
                  default_format: str = "default") -> FormatSpread:
    """Spread of one task from `{format_id: 0/1 scores of its items}` (NaN = failed, dropped)."""
    if not per_format:
        raise ValueError(f"task {task}: no formats")
    scores = []
    for fmt, values in per_format.items():
        arr = np.array([v for v in values if v is not None and not math.isnan(v)], dtype=float)
        if arr.size == 0:
            continue
        ci = wilson(int(round(arr.sum())), int(arr.size))
        scores.append(FormatScore(fmt, float(arr.mean()), ci.low, ci.high, int(arr.size)))
    if not scores:
        raise ValueError(f"task {task}: every format failed")
    default = next((s for s in scores if s.format == default_format), None)
    return FormatSpread(task, metric, tuple(scores), default)


def base_task(name: str) -> str:
    return name.split(FORMAT_TASK_SEP, 1)[0]


def spread_from_records(records: Iterable[SampleRecord], metric: str = "acc") -> list[FormatSpread]:
    """One spread per base task from sample records, grouped by the record's `format` field.
    Tasks seen in a single format are left out."""
    grouped: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for rec in records:
        value = rec.scores.get(metric)
        if value is None:
            continue
        grouped[base_task(rec.task)][rec.format].append(float(value))
    return [format_spread(task, fmts, metric) for task, fmts in grouped.items() if len(fmts) > 1]
