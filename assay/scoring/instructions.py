"""Programmatic instruction-following checks (IFEval-style) and the scorer that runs them.

A sample lists its checks in `metadata["checks"]`, each `{"type": <name>, **params}`; a
check is a pure function `(text, **params) -> bool` registered in `CHECKS` by name.
`InstructionFollowing` reports, as in IFEval (Zhou et al., 2023), the strict prompt-level
score (1 if every check passes) and the instruction-level score — here the fraction of the
sample's checks that pass, so its mean over samples weights each prompt equally (IFEval's
instruction-level accuracy pools instructions across prompts instead).

All checks are case-insensitive about the words they look for, so a casing instruction
("all lowercase") and a phrase instruction never contradict each other.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Mapping, Sequence

from assay.core.responses import Completion, Output
from assay.core.sample import Sample
from assay.core.score import Score
from assay.errors import DataError

Check = Callable[..., bool]
CHECKS: dict[str, Check] = {}
"""Check type → function(text, **params) -> bool. Add one with `@register_check("name")`."""

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_BULLET = re.compile(r"^\s*[*\-•]\s+\S")
_QUOTES = ('"', "“", "”")


def register_check(name: str) -> Callable[[Check], Check]:
    def decorate(fn: Check) -> Check:
        CHECKS[name] = fn
        return fn

    return decorate


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _count_word(text: str, word: str) -> int:
    return len(re.findall(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", text, flags=re.IGNORECASE))


def _unquoted(text: str) -> str:
    return text.strip().strip("".join(_QUOTES)).strip()


@register_check("min_words")
def min_words(text: str, n: int) -> bool:
    """At least `n` words (runs of letters/digits, apostrophes kept inside a word)."""
    return len(_words(text)) >= n


@register_check("max_words")
def max_words(text: str, n: int) -> bool:
    """At most `n` words, counted as in `min_words`."""
    return len(_words(text)) <= n


@register_check("include_keywords")
def include_keywords(text: str, keywords: Sequence[str]) -> bool:
    """Every keyword appears as a whole word, ignoring case."""
    return all(_count_word(text, k) > 0 for k in keywords)


@register_check("exclude_word")
def exclude_word(text: str, word: str) -> bool:
    """`word` never appears as a whole word, ignoring case ("very" is not found in "every")."""
    return _count_word(text, word) == 0


@register_check("keyword_frequency")
def keyword_frequency(text: str, word: str, n: int) -> bool:
    """`word` appears at least `n` times as a whole word, ignoring case."""
    return _count_word(text, word) >= n


@register_check("lowercase")
def lowercase(text: str) -> bool:
    """Has letters and none of them is a capital."""
    return any(c.isalpha() for c in text) and text == text.lower()


@register_check("uppercase")
def uppercase(text: str) -> bool:
    """Has letters and all of them are capitals."""
    return any(c.isalpha() for c in text) and text == text.upper()


@register_check("bullet_points")
def bullet_points(text: str, n: int) -> bool:
    """Exactly `n` lines are markdown bullets: "* ", "- " or "• " then text ("**bold**" is not one)."""
    return sum(bool(_BULLET.match(line)) for line in text.splitlines()) == n


@register_check("paragraphs")
def paragraphs(text: str, n: int) -> bool:
    """Exactly `n` non-empty paragraphs, separated by blank lines."""
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    return len(blocks) == n


@register_check("end_with")
def end_with(text: str, phrase: str) -> bool:
    """The text ends with `phrase` (ignoring case, surrounding whitespace and wrapping quotes)."""
    return _unquoted(text).lower().endswith(phrase.strip().lower())


@register_check("start_with")
def start_with(text: str, phrase: str) -> bool:
    """The text starts with `phrase` as whole words ("Yes" is not matched by "Yesterday"),
    ignoring case, leading whitespace and a wrapping quote."""
    body = _unquoted(text)
    head = phrase.strip()
    return body.lower().startswith(head.lower()) and not body[len(head):len(head) + 1].isalnum()


@register_check("json_keys")
def json_keys(text: str, keys: Sequence[str]) -> bool:
    """The whole text (a ```json fence allowed) is one JSON object that has every key in `keys`."""
    body = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip(), flags=re.IGNORECASE)
    try:
        value = json.loads(body)
    except ValueError:
        return False
    return isinstance(value, dict) and all(k in value for k in keys)


@register_check("no_commas")
def no_commas(text: str) -> bool:
    """No comma anywhere (ASCII or full-width)."""
    return "," not in text and "，" not in text


@register_check("quotation")
def quotation(text: str) -> bool:
    """The whole text is wrapped in double quotation marks (straight or curly)."""
    body = text.strip()
    return len(body) >= 2 and body[0] in _QUOTES and body[-1] in _QUOTES


@register_check("title")
def title(text: str) -> bool:
    """A title wrapped in double angle brackets, like <<A Day at Sea>>, appears somewhere."""
    return re.search(r"<<[^\n<>]*\S[^\n<>]*>>", text) is not None


def run_checks(checks: Any, text: str, sample_id: str = "?") -> list[bool]:
    """Run each check spec on `text`; a malformed spec raises `DataError` naming the sample and field."""
    if not isinstance(checks, list) or not checks:
        raise DataError(f"sample '{sample_id}' has no instruction checks", field="metadata.checks",
                        hint='give a non-empty list such as [{"type": "lowercase"}]')
    results = []
    for i, spec in enumerate(checks):
        where = f"metadata.checks[{i}]"
        if not isinstance(spec, Mapping) or not isinstance(spec.get("type"), str):
            raise DataError(f"sample '{sample_id}': each check needs a string 'type'", field=where)
        kind = spec["type"]
        if kind not in CHECKS:
            raise DataError(f"sample '{sample_id}': unknown instruction check type '{kind}'", field=f"{where}.type",
                            hint="known types: " + ", ".join(sorted(CHECKS)))
        params = {k: v for k, v in spec.items() if k != "type"}
        try:
            results.append(bool(CHECKS[kind](text, **params)))
        except TypeError as exc:
            raise DataError(f"sample '{sample_id}': bad parameters for check '{kind}': {exc}", field=where) from exc
    return results


class InstructionFollowing:
    """Scores generated text against the sample's programmatic checks.

    `prompt_strict` is 1.0 when every check passes, else 0.0; `instruction_strict` is the
    fraction of checks that pass. The extracted answer lists each check's type and verdict.
    """

    name = "instructions"
    metrics = ("prompt_strict", "instruction_strict")

    def __call__(self, sample: Sample, output: Output) -> Score:
        if not isinstance(output, Completion):
            raise TypeError(f"{self.name} scores generated text (a Completion), got {type(output).__name__}")
        checks = sample.metadata.get("checks")
        passed = run_checks(checks, output.text, sample.id)
        verdicts = [{"type": spec["type"], "passed": ok} for spec, ok in zip(checks, passed)]
        failed = [v["type"] for v in verdicts if not v["passed"]]
        return Score(
            values={"prompt_strict": float(all(passed)), "instruction_strict": sum(passed) / len(passed)},
            extracted=verdicts,
            explanation=("failed: " + ", ".join(failed)) if failed else f"all {len(passed)} checks passed",
        )
