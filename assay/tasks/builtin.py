"""The registry of built-in tasks: generated suites that need no download.

Each suite is a family generator (`assay.tasks.suites`) plus a task recipe: request kind,
scorers, instruction, generation settings and a few-shot pool. Items come from a seed, so
they are contamination-free and reproducible: `source` records the suite, n, seed and the
family's VERSION, which is also the task version. Few-shot examples come from a different
seed (seed + 10_000) and any that repeats a test question is dropped, so a shot is never a
test item.

    make_builtin("arith-mc", n=50, seed=1)      # one Task
    make_builtin("arith-mc", style=OptionStyle.LISTED)   # options listed in the prompt
    make_group("quick")                          # the demo mix, small n per suite

Multiple-choice suites ask in the default `PromptFormat`'s style (see docs/task-files.md,
"Cloze or listed"); `style` picks the other. The prompt is part of what a version names:
a multiple-choice suite in the cloze style has version "<items version>-cloze", in the
listed style (the only one before cloze existed) the items version alone.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Callable, Sequence

from assay.core.format import OptionStyle, PromptFormat
from assay.core.requests import GenerationParams
from assay.core.sample import Sample
from assay.core.score import Scorer
from assay.core.task import ChoiceScoring, Continuation, FewShot, Task, TaskKind
from assay.errors import ConfigError, UnknownNameError
from assay.tasks.suites import arithmetic, fiction, instructions, logic, word_problems

FEWSHOT_SEED_OFFSET = 10_000
FEWSHOT_POOL_SIZE = 40
_ANSWER_STOPS = ("\n\n", "Question:")


@dataclass(frozen=True)
class BuiltinSuite:
    """A named built-in task: `build(n, seed)` returns the Task with n generated items."""

    name: str
    family: str
    kind: TaskKind
    description: str
    default_n: int
    build: Callable[..., Task]
    """`build(n, seed, style=None, scoring=None)`."""


# Scorers are imported when a task is built, not when this module is imported, so listing
# the suites never pulls in the scoring stack.
def _multiple_choice(scoring: ChoiceScoring = ChoiceScoring()) -> tuple[Scorer, ...]:
    from assay.scoring.multiple_choice import MultipleChoiceScorer

    return (MultipleChoiceScorer.for_task(scoring),)


def _number() -> tuple[Scorer, ...]:
    from assay.scoring.numeric import NumberMatch

    return (NumberMatch(),)


def _exact() -> tuple[Scorer, ...]:
    from assay.scoring.match import ExactMatch

    return (ExactMatch(),)


def _short_answer() -> tuple[Scorer, ...]:
    from assay.scoring.f1 import TokenF1
    from assay.scoring.match import ExactMatch

    return (ExactMatch(), TokenF1())


def _instruction_checks() -> tuple[Scorer, ...]:
    from assay.scoring.instructions import InstructionFollowing

    return (InstructionFollowing(),)


@dataclass(frozen=True)
class _Recipe:
    name: str
    module: ModuleType
    multiple_choice: bool
    description: str
    scorers: Callable[[], tuple[Scorer, ...]]
    instruction: str = ""
    generation: GenerationParams = GenerationParams()
    shots: int = 0
    default_n: int = 100

    def generate(self, n: int, seed: int) -> list[Sample]:
        if self.module is instructions:
            return instructions.generate(n, seed)
        return self.module.generate(n, seed, multiple_choice=self.multiple_choice)

    def build(self, n: int, seed: int, style: OptionStyle | None = None, scoring: ChoiceScoring | None = None) -> Task:
        if not isinstance(n, int) or n < 1:
            raise ConfigError(f"built-in suite '{self.name}' needs n >= 1, got {n!r}", field="n")
        if style is not None and not self.multiple_choice:
            raise ConfigError(f"built-in suite '{self.name}' generates its answers; 'style' is for multiple-choice suites",
                              field=f"{self.name}:style")
        if scoring is not None and not self.multiple_choice:
            raise ConfigError(f"built-in suite '{self.name}' generates its answers; scoring options are for "
                              "multiple-choice suites", field=self.name)
        if scoring is not None and scoring.continuation is Continuation.BLANK:
            raise ConfigError(f"built-in suite '{self.name}' has no blanks to fill; continuation is text or letter",
                              field=f"{self.name}:continuation")
        if scoring is not None and scoring.continuation is Continuation.LETTER and style is OptionStyle.CLOZE:
            raise ConfigError(f"built-in suite '{self.name}': letters need the options listed, not style=cloze",
                              field=f"{self.name}:style")
        load = _memo(lambda: self.generate(n, seed))

        def fewshot_pool() -> tuple[Sample, ...]:
            asked = {s.input for s in load()}
            pool = self.generate(FEWSHOT_POOL_SIZE, seed + FEWSHOT_SEED_OFFSET)
            return tuple(replace(s, id="shot-" + s.id) for s in pool if s.input not in asked)

        kind = TaskKind.MULTIPLE_CHOICE if self.multiple_choice else TaskKind.GENERATE
        fmt = PromptFormat() if style is None else PromptFormat().with_style(style)
        version = self.module.VERSION
        source: dict[str, object] = {"builtin": self.name, "n": n, "seed": seed, "version": version}
        chosen = scoring or ChoiceScoring()
        if chosen.continuation is Continuation.LETTER:
            fmt = fmt.with_style(OptionStyle.LISTED)  # the letters are scored: the options are listed
        if self.multiple_choice:
            version += "-cloze" if fmt.style is OptionStyle.CLOZE else ""
            source["style"] = fmt.style.value
            version += choice_version_suffix(chosen)
            if scoring is not None:
                source["choice_scoring"] = chosen.to_dict()
        return Task(
            name=self.name,
            version=version,
            kind=kind,
            format=fmt,
            load=load,
            scorers=_multiple_choice(chosen) if self.multiple_choice else self.scorers(),
            fewshot=FewShot(k=self.shots),
            fewshot_pool=_memo(fewshot_pool),
            generation=self.generation,
            instruction=self.instruction,
            family=self.module.FAMILY,
            description=self.description,
            source=source,
            choice_scoring=chosen,
        )


def choice_version_suffix(scoring: ChoiceScoring) -> str:
    """What a suite's non-default scoring options add to its version ("" for the default):
    a different prompt or metric is a different task version."""
    default = ChoiceScoring()
    parts = []
    if scoring.continuation is not default.continuation:
        parts.append(scoring.continuation.value)
    if scoring.chat_template:
        parts.append("chat")
    if scoring.norm is not default.norm:
        parts.append(f"norm-{scoring.norm.value}")
    if scoring.calibrate:
        parts.append("calibrated")
    return "".join(f"+{p}" for p in parts)


def _memo(make: Callable[[], Sequence[Sample]]) -> Callable[[], tuple[Sample, ...]]:
    """A loader that generates once and then returns the same tuple."""
    return functools.lru_cache(maxsize=1)(lambda: tuple(make()))


_NUMBER_ONLY = "Answer with a number only."
_PASSAGE_ONLY = "Answer the question using only the passage."

_RECIPES = (
    _Recipe("arith-gen", arithmetic, False, "Multi-digit +, -, × and multi-step expressions; answer a number.",
            _number, _NUMBER_ONLY, GenerationParams(max_tokens=24, stop=_ANSWER_STOPS), shots=2),
    _Recipe("arith-mc", arithmetic, True, "Arithmetic with four options: carry, swap and precedence slips.",
            _multiple_choice),
    _Recipe("word-gen", word_problems, False, "Word problems (shopping, rates, ages, sharing) in 1-4 steps.",
            _number, "Solve the problem. " + _NUMBER_ONLY, GenerationParams(max_tokens=32, stop=_ANSWER_STOPS),
            shots=1),
    _Recipe("word-mc", word_problems, True, "Word problems with four options, distractors from partial results.",
            _multiple_choice),
    _Recipe("logic-mc", logic, True, "Ordering and who-has-what puzzles with one solution; pick the name.",
            _multiple_choice, "Solve the puzzle."),
    _Recipe("logic-gen", logic, False, "Ordering and who-has-what puzzles with one solution; answer a name.",
            _exact, "Solve the puzzle. Answer with a name only.",
            GenerationParams(max_tokens=16, stop=_ANSWER_STOPS), shots=1),
    _Recipe("fiction-mc", fiction, True, "Questions on a passage about invented glands, planets or animals.",
            _multiple_choice, _PASSAGE_ONLY),
    _Recipe("fiction-qa", fiction, False, "Short answers from a passage about an invented world.",
            _short_answer, _PASSAGE_ONLY + " Reply with a few words only.",
            GenerationParams(max_tokens=24, stop=_ANSWER_STOPS), shots=1),
    _Recipe("instructions", instructions, False, "Writing prompts with 1-5 constraints a program can verify.",
            _instruction_checks, "", GenerationParams(max_tokens=200)),
)

_SUITES: dict[str, BuiltinSuite] = {
    r.name: BuiltinSuite(
        name=r.name,
        family=r.module.FAMILY,
        kind=TaskKind.MULTIPLE_CHOICE if r.multiple_choice else TaskKind.GENERATE,
        description=r.description,
        default_n=r.default_n,
        build=r.build,
    )
    for r in _RECIPES
}

SUITE_GROUPS: dict[str, tuple[str, ...]] = {
    "quick": ("arith-mc", "word-mc", "logic-mc", "fiction-mc", "arith-gen"),
    "mc": tuple(s.name for s in _SUITES.values() if s.kind is TaskKind.MULTIPLE_CHOICE),
    "gen": tuple(s.name for s in _SUITES.values() if s.kind is TaskKind.GENERATE),
    "all": tuple(_SUITES),
}
"""Named mixes of suites. "quick" is the demo: fast for a 135M model on two CPUs."""

GROUP_DEFAULT_N: dict[str, int] = {"quick": 25}
"""Items per suite when a group is run without an explicit n (else each suite's default_n).
25 is a multiple of 5, so every difficulty level (and every fiction passage) is whole."""


def builtin_suites() -> dict[str, BuiltinSuite]:
    """Every built-in suite by name."""
    return dict(_SUITES)


def make_builtin(name: str, n: int | None = None, seed: int = 0, style: OptionStyle | None = None,
                 scoring: ChoiceScoring | None = None) -> Task:
    """The built-in task `name` with `n` items (its default_n when None) from `seed`;
    `style` (multiple-choice suites only) overrides the default format's option style and
    `scoring` its multiple-choice scoring options (letters, chat template, acc_norm unit,
    calibration)."""
    if name not in _SUITES:
        raise UnknownNameError("built-in suite", name, list(_SUITES))
    suite = _SUITES[name]
    return suite.build(suite.default_n if n is None else n, seed, style, scoring)


def make_group(group: str, n: int | None = None, seed: int = 0, style: OptionStyle | None = None,
               scoring: ChoiceScoring | None = None) -> list[Task]:
    """The tasks of a suite group, each with `n` items (the group's default n when None);
    `style` and `scoring` apply to the group's multiple-choice suites."""
    if group not in SUITE_GROUPS:
        raise UnknownNameError("suite group", group, list(SUITE_GROUPS))
    size = n if n is not None else GROUP_DEFAULT_N.get(group)
    mc = lambda name: _SUITES[name].kind is TaskKind.MULTIPLE_CHOICE  # noqa: E731
    return [make_builtin(name, size, seed, style if mc(name) else None, scoring if mc(name) else None)
            for name in SUITE_GROUPS[group]]
