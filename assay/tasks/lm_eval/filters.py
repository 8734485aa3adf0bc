"""lm-eval's response filters (`filter_list`), as pure functions over one doc's responses.

A pipeline maps the list of a doc's responses (one per repeat) through its steps, as
lm_eval/filters does: `regex` (findall; `group_select` picks the match, a tuple match
gives its first non-empty group, stripped; no match gives `fallback`), `lowercase`,
`uppercase`, `remove_whitespace` (strip), `majority_vote` (the most common response,
first seen wins a tie) and `take_first` (the first response: the pipeline's answer).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Sequence

Step = Callable[[list[str]], list[str]]


class FilterSpecError(ValueError):
    """A filter step that cannot be built; the message says which key is wrong."""


def _regex(regex_pattern: str = r"#### (\-?[0-9\.\,]+)", group_select: int = 0, fallback: str = "[invalid]") -> Step:
    try:
        compiled = re.compile(regex_pattern)
    except re.error as exc:
        raise FilterSpecError(f"regex_pattern {regex_pattern!r} does not compile: {exc}") from None

    def one(resp: str) -> str:
        found = compiled.findall(resp if isinstance(resp, str) else "")
        if not found:
            return fallback
        match: Any = found[group_select]
        if isinstance(match, tuple):
            groups = [m for m in match if m]
            match = groups[0] if groups else fallback
        return match.strip()

    return lambda resps: [one(r) for r in resps]


def _majority_vote() -> Step:
    return lambda resps: [Counter(resps).most_common(1)[0][0]] if resps else resps


def _take_first() -> Step:
    return lambda resps: resps[:1]


_STEPS: dict[str, Callable[..., Step]] = {
    "regex": _regex,
    "lowercase": lambda: (lambda resps: [r.lower() for r in resps]),
    "uppercase": lambda: (lambda resps: [r.upper() for r in resps]),
    "remove_whitespace": lambda: (lambda resps: [r.strip() for r in resps]),
    "majority_vote": _majority_vote,
    "take_first": _take_first,
}
FILTER_NAMES = tuple(sorted(_STEPS))


@dataclass(frozen=True)
class FilterPipeline:
    """A named pipeline (`strict-match`, ...); `none` is lm-eval's default (take_first)."""

    name: str
    steps: tuple[Step, ...]
    functions: tuple[dict[str, Any], ...] = ()
    """The `filter` entries as written (JSON), to record how the answer was extracted."""

    def __call__(self, responses: Sequence[str]) -> str:
        out = list(responses)
        for step in self.steps:
            out = step(out)
        # A pipeline without take_first leaves a one-item list for one repeat; lm-eval's
        # exact_match then compares it element-wise, which is comparing its one item.
        return out[0] if out else ""


def build_pipeline(name: str, functions: Sequence[dict[str, Any]]) -> FilterPipeline:
    """One `filter_list` entry: `[{function: regex, regex_pattern: ...}, {function: take_first}]`."""
    steps = []
    for i, item in enumerate(functions):
        if not isinstance(item, dict) or "function" not in item:
            raise FilterSpecError(f"filter[{i}] must be a mapping with a 'function' key")
        fn = item["function"]
        if fn not in _STEPS:
            raise FilterSpecError(f"filter function '{fn}' is not supported; supported: {', '.join(FILTER_NAMES)}")
        kwargs = {k: v for k, v in item.items() if k != "function"}
        try:
            steps.append(_STEPS[fn](**kwargs))
        except TypeError:
            raise FilterSpecError(f"filter function '{fn}' does not take {sorted(kwargs)}") from None
    return FilterPipeline(name, tuple(steps), tuple(dict(item) for item in functions))


DEFAULT_PIPELINE = FilterPipeline("none", (_take_first(),), ({"function": "take_first"},))
