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
    """How a task asks: score each option's log-likelihood, generate an answer, or score a whole text."""

    MULTIPLE_CHOICE = "multiple_choice"
    GENERATE = "generate"
    PERPLEXITY = "perplexity"
    """Score each sample's whole text (`input`) with a rolling log-likelihood request."""


class Continuation(str, Enum):
    """What a multiple-choice option is scored as: its text (" Paris"), its letter (" A",
    MMLU style: the prompt lists the options as "A. ...", "B. ..." to choose from), or the
    sentence after the blank the option fills (`BLANK`)."""

    TEXT = "text"
    LETTER = "letter"
    BLANK = "blank"
    """Partial scoring (WinoGrande): each option fills the blank "_" in the input, and what
    is scored is the rest of the sentence after the blank, the same for every option."""


class NormUnit(str, Enum):
    """What `acc_norm` divides an option's log-likelihood by.

    `chars`: the option's length in characters (lm-evaluation-harness's `acc_norm`, which
    divides by `len(choice)`); `bytes`: in UTF-8 bytes (lm-eval's `acc_bytes`; tokenizer-free,
    so it compares across models, and assay's default); `tokens`: the continuation's token
    count as the model counted it (depends on the tokenizer).
    """

    CHARS = "chars"
    BYTES = "bytes"
    TOKENS = "tokens"


@dataclass(frozen=True)
class ChoiceScoring:
    """How a multiple-choice task's options are asked and scored.

    - `continuation`: score each option's text, or its letter (the options are then listed).
    - `chat_template`: the context is sent as a user turn through the model's chat template
      (the task's instruction as a system turn), and the option follows the opened assistant
      turn with no leading space, as lm-eval's `--apply_chat_template` does. The engine
      renders it with the model's template, so the request holds the exact text scored.
    - `norm`: the unit of `acc_norm` (see `NormUnit`).
    - `calibrate`: also score each option after `neutral_context` and report
      `acc_mutual_info`, the argmax of log P(option | prompt) - log P(option | neutral).
      lm-eval's neutral context is the empty string. One extra request per option.
    """

    continuation: Continuation = Continuation.TEXT
    chat_template: bool = False
    norm: NormUnit = NormUnit.BYTES
    calibrate: bool = False
    neutral_context: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"continuation": self.continuation.value, "chat_template": self.chat_template,
                "norm": self.norm.value, "calibrate": self.calibrate, "neutral_context": self.neutral_context}


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
    choice_scoring: ChoiceScoring = ChoiceScoring()
    """How options are asked and scored (multiple-choice tasks only)."""

    @property
    def metric_names(self) -> tuple[str, ...]:
        names: list[str] = []
        for scorer in self.scorers:
            names.extend(m for m in scorer.metrics if m not in names)
        return tuple(names)
