"""`JudgeConfig`: how a judged task asks its judges (mode, scale, template, jury, baseline)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from assay.core.requests import GenerationParams


class JudgeMode(str, Enum):
    """Pointwise rating on a rubric; pairwise against a baseline answer (both orders, ties
    allowed); or a pointwise rating that compares the answer with the sample's reference."""

    POINTWISE = "pointwise"
    PAIRWISE = "pairwise"
    REFERENCE = "reference"


class Aggregate(str, Enum):
    """How a jury's verdicts become one: the mean rating / win score, or the majority verdict."""

    MEAN = "mean"
    MAJORITY = "majority"


@dataclass(frozen=True)
class JudgeConfig:
    """A judged task's judging.

    - `judges`: the judge models (one, or several for a jury); any adapter object, or a
      `LazyModel` that loads a spec on first use.
    - `scale`: top of the rating scale (pointwise / reference; 5 or 10).
    - `skills`: FLASK-style skills rated one by one (pointwise); the score is their mean.
    - `template`: a Jinja2 judge prompt replacing the default for the mode.
    - `baseline`: a model whose answer is the comparison (pairwise), or `baseline_field`: a
      sample metadata field holding the baseline answer.
    - `params`: the judges' generation settings (greedy by default, so verdicts are cached
      and a rerun replays them).
    """

    judges: tuple[Any, ...]
    mode: JudgeMode = JudgeMode.POINTWISE
    scale: int = 10
    skills: tuple[str, ...] = ()
    template: str | None = None
    baseline: Any = None
    baseline_field: str | None = None
    aggregate: Aggregate = Aggregate.MEAN
    params: GenerationParams = GenerationParams(max_tokens=192)

    def __post_init__(self) -> None:
        if not self.judges:
            raise ValueError("a judged task needs at least one judge")
        if self.scale < 2:
            raise ValueError("the rating scale needs at least 2 points")
        if self.mode is JudgeMode.PAIRWISE and (self.baseline is None) == (self.baseline_field is None):
            raise ValueError("pairwise judging needs exactly one of `baseline` (a model) or `baseline_field`")
