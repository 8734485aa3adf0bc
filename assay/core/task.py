"""`Task`: a named, versioned recipe from items to scores.

Where samples come from (a loader: built-in generator with a seed, or a file), how a
sample becomes a prompt (`PromptFormat`, few-shot policy, instruction), which request kind,
and which scorers. Tasks are built by `assay.tasks` (built-in suites, YAML files, bare
JSONL); the engine only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Mapping, Sequence

from assay.core.format import PromptFormat
from assay.core.requests import GenerationParams
from assay.core.sample import Sample
from assay.core.score import Scorer
from assay.core.solver import Solver


class TaskKind(str, Enum):
    """How a task asks: score each option's log-likelihood, or generate an answer."""

    MULTIPLE_CHOICE = "multiple_choice"
    GENERATE = "generate"


@dataclass(frozen=True)
class FewShot:
    """Prepend `k` solved examples drawn (with `seed`) from the few-shot pool, never the item itself."""

    k: int = 0
    seed: int = 1234


@dataclass(frozen=True)
class Task:
    """A named, versioned evaluation recipe.

    `load()` must be deterministic: the same task always yields the same samples (built-in
    suites carry their seed in `source`). `fewshot_pool()` defaults to the task's own samples.
    `chat` wraps generation prompts as a user message so chat models get their template.
    `solver` answers a sample in one or more cached steps (see `assay.core.solver`).
    """

    name: str
    version: str
    kind: TaskKind
    load: Callable[[], Sequence[Sample]]
    scorers: tuple[Scorer, ...]
    format: PromptFormat = PromptFormat()
    fewshot: FewShot = FewShot()
    fewshot_pool: Callable[[], Sequence[Sample]] | None = None
    generation: GenerationParams = GenerationParams()
    instruction: str = ""
    chat: bool = True
    family: str = ""
    description: str = ""
    source: Mapping[str, Any] = field(default_factory=dict)
    solver: Solver | None = None
    """How a sample is answered; None means the one-step default for `kind`."""

    @property
    def metric_names(self) -> tuple[str, ...]:
        names: list[str] = []
        for scorer in self.scorers:
            names.extend(m for m in scorer.metrics if m not in names)
        return tuple(names)
