"""`NumberMatch`: find the final numeric answer in a generation and compare it numerically.

Which number: when the text has an answer marker — "####" (GSM8K's), "answer is",
"answer:" or "\\boxed{" — the first number after the last marker that is followed by one;
otherwise the last number in the text (chain-of-thought ends with its answer).

What is a number: an optional minus sign, an optional "$", digits with optional thousands
commas ("1,234") and an optional decimal part ("3.50"); "%" and units after it are
ignored. Digits glued to a letter or a dot before them ("x2", "v1.2.3"'s tail) are not
numbers. Fractions and scientific notation are not recognised.
"""

from __future__ import annotations

import math
import re

from assay.core.responses import Output
from assay.core.sample import Sample
from assay.core.score import Score
from assay.core.task import TaskKind
from assay.scoring.match import completion_text

Number = int | float

_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-−])?\$?(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
)
_MARKER = re.compile(r"####|answer\s+is|answer\s*:|\\boxed\{", re.IGNORECASE)


def _value(match: re.Match[str]) -> Number:
    digits = match.group("digits").replace(",", "")
    sign = -1 if match.group("sign") else 1
    return sign * (float(digits) if "." in digits else int(digits))


def extract_number(text: str) -> Number | None:
    """The answer number in `text` (see the module docstring), or None when there is none."""
    for marker in reversed(list(_MARKER.finditer(text))):
        found = _NUMBER.search(text, marker.end())
        if found is not None:
            return _value(found)
    numbers = list(_NUMBER.finditer(text))
    return _value(numbers[-1]) if numbers else None


def numbers_equal(a: float, b: float, rel_tol: float = 1e-6) -> bool:
    """Equal within a relative tolerance (plus a tiny absolute one, so 0 == 1e-15)."""
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12)


class NumberMatch:
    """`exact_match` for numeric answers: 1.0 when the extracted number equals the target's.

    The target may be a number, a text holding one ("#### 72", "1,234"), or a tuple of
    acceptable ones. `extracted` is the number found in the generation, or None.
    """

    name = "number"
    metrics = ("exact_match",)
    kinds = (TaskKind.GENERATE,)
    uses_target = True

    def __init__(self, rel_tol: float = 1e-6) -> None:
        self.rel_tol = rel_tol

    def _targets(self, sample: Sample) -> list[Number]:
        raw = sample.target if isinstance(sample.target, tuple) else (sample.target,)
        values: list[Number] = []
        for item in raw:
            value = item if isinstance(item, (int, float)) and not isinstance(item, bool) else extract_number(str(item))
            if value is None:
                raise ValueError(f"sample {sample.id}: target {item!r} holds no number")
            values.append(value)
        return values

    def __call__(self, sample: Sample, output: Output) -> Score:
        text = completion_text(self.name, sample, output)
        if output.error is not None:
            return Score({"exact_match": math.nan}, None, output.error)
        targets = self._targets(sample)
        found = extract_number(text)
        if found is None:
            return Score({"exact_match": 0.0}, None, "no number in the output")
        hit = any(numbers_equal(found, t, self.rel_tol) for t in targets)
        return Score({"exact_match": float(hit)}, found, "" if hit else f"{found} != {targets[0]}")
