"""`ExactMatch` and `RegexMatch`: is the generated answer one of the acceptable answers?

Both compare text after `normalize_answer` (SQuAD-style) unless `normalize=False`, in
which case only surrounding whitespace is ignored. What counts as acceptable comes from
`acceptable_answers`: the target text, each text of a tuple target, or — for a sample with
choices and an index target — the right option's text and its letter.
"""

from __future__ import annotations

import math
import re

from assay.core.responses import Completion, Output
from assay.core.sample import Sample
from assay.core.score import Score
from assay.core.task import TaskKind
from assay.scoring.normalize import answer_span, normalize_answer


def acceptable_answers(sample: Sample) -> tuple[str, ...]:
    """Every text that counts as right for `sample`."""
    target = sample.target
    if isinstance(target, tuple):
        return tuple(str(t) for t in target)
    if sample.choices is not None and isinstance(target, int) and not isinstance(target, bool):
        return (sample.choices[target], chr(65 + target))
    return (str(target),)


def completion_text(scorer_name: str, sample: Sample, output: Output) -> str:
    """The first generated text, after checking the output is a `Completion`."""
    if not isinstance(output, Completion):
        raise TypeError(f"{scorer_name} scores a Completion, got {type(output).__name__} (sample {sample.id})")
    return output.text


def _same(a: str, b: str, normalize: bool) -> bool:
    return normalize_answer(a) == normalize_answer(b) if normalize else a.strip() == b.strip()


def _failed(metric: str, error: str) -> Score:
    return Score({metric: math.nan}, None, error)


class ExactMatch:
    """1.0 when the answer span of the generation equals an acceptable answer.

    The answer span is the generation with a leading "Answer:" / "The answer is" removed,
    cut to its first non-empty line (see `answer_span`).
    """

    name = "exact_match"
    metrics = ("exact_match",)
    kinds = (TaskKind.GENERATE,)
    uses_target = True

    def __init__(self, normalize: bool = True) -> None:
        self.normalize = normalize

    def __call__(self, sample: Sample, output: Output) -> Score:
        text = completion_text(self.name, sample, output)
        if output.error is not None:
            return _failed("exact_match", output.error)
        span = answer_span(text)
        hit = any(_same(span, answer, self.normalize) for answer in acceptable_answers(sample))
        return Score({"exact_match": float(hit)}, span, "" if hit else f"{span!r} is not an accepted answer")


class RegexMatch:
    """Extract the answer with a regular expression, then exact-match it.

    The first match of `pattern` anywhere in the generation is taken, and its capture group
    `group` (0 is the whole match) is the extracted answer. No match scores 0.
    """

    name = "regex"
    metrics = ("exact_match",)
    kinds = (TaskKind.GENERATE,)
    uses_target = True

    def __init__(self, pattern: str, group: int = 1, normalize: bool = True) -> None:
        try:
            self._compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        if not 0 <= group <= self._compiled.groups:
            raise ValueError(
                f"pattern {pattern!r} has {self._compiled.groups} capture group(s), so group {group} "
                "does not exist; use group 0 for the whole match"
            )
        self.pattern, self.group, self.normalize = pattern, group, normalize

    def __call__(self, sample: Sample, output: Output) -> Score:
        text = completion_text(self.name, sample, output)
        if output.error is not None:
            return _failed("exact_match", output.error)
        match = self._compiled.search(text)
        extracted = match.group(self.group) if match else None
        if extracted is None:
            return Score({"exact_match": 0.0}, None, f"no match for {self.pattern!r}")
        hit = any(_same(extracted, answer, self.normalize) for answer in acceptable_answers(sample))
        return Score({"exact_match": float(hit)}, extracted, "" if hit else f"{extracted!r} is not an accepted answer")
