"""`Score` and the `Scorer` protocol: what a scorer says of one sample's output, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, runtime_checkable

from assay.core.responses import Output
from assay.core.sample import Sample


@dataclass(frozen=True)
class Score:
    """Named values for one sample (e.g. {"acc": 1.0, "acc_norm": 0.0}), the answer the
    scorer extracted from the output, and a short explanation for the sample log."""

    values: Mapping[str, float]
    extracted: Any = None
    explanation: str = ""


@runtime_checkable
class Scorer(Protocol):
    """Turns one sample and the model's output for it into a `Score`.

    `name` identifies the scorer in logs; `metrics` names the values it produces.
    """

    name: str
    metrics: tuple[str, ...]

    def __call__(self, sample: Sample, output: Output) -> Score: ...


@dataclass(frozen=True)
class ScoreRecord:
    """A score merged across a task's scorers (later scorers win on clashing names)."""

    values: dict[str, float] = field(default_factory=dict)
    extracted: Any = None
    explanations: tuple[str, ...] = ()
