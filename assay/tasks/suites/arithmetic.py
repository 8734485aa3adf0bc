"""Arithmetic items: multi-digit +, -, × and multi-step expressions, with known answers.

Difficulty is digits and steps: level 1 adds or subtracts two-digit numbers, level 3 works
with four digits or a two-by-two-digit product, level 5 evaluates a three-operation
expression. Every result is positive. The multiple-choice variant offers the answer
and three distractors built from the mistakes people (and models) make: dropping a carry,
subtracting the smaller digit from the larger, ignoring operator precedence, transposing
digits, or landing ten off.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from assay.core.sample import Sample
from assay.tasks.suites._common import (
    check_size,
    item_rng,
    level_for,
    numeric_distractors,
    place_correct,
    sample_id,
)

VERSION = "1"
"""Bump whenever generation changes: the same seed must always yield the same items."""

FAMILY = "arithmetic"

_PHRASINGS = ("What is {e}?", "Calculate {e}.", "Compute {e}.", "Work out {e}.", "What does {e} equal?")

Values = dict[str, int]


def _digits(k: int) -> tuple[int, int]:
    return 10 ** (k - 1), 10**k - 1


def _columns(a: int, b: int) -> list[tuple[int, int]]:
    width = max(len(str(a)), len(str(b)))
    return list(zip(map(int, str(a).zfill(width)), map(int, str(b).zfill(width))))


def _add_without_carry(a: int, b: int) -> int:
    """The forgotten-carry slip: each column keeps its last digit, the leftmost its whole sum
    (59 + 38 → 87)."""
    (x0, y0), *rest = _columns(a, b)
    return int(str(x0 + y0) + "".join(str((x + y) % 10) for x, y in rest))


def _subtract_digitwise(a: int, b: int) -> int:
    return int("".join(str(abs(x - y)) for x, y in _columns(a, b)))


def _has_carry(a: int, b: int) -> bool:
    return any(x + y >= 10 for x, y in _columns(a, b))


def _has_borrow(a: int, b: int) -> bool:
    return any(x < y for x, y in _columns(a, b))


@dataclass(frozen=True)
class _Template:
    name: str
    level: int
    text: str
    draw: Callable[[random.Random], Values]
    value: Callable[[Values], int]
    slips: Callable[[Values], list[int | None]]
    skills: tuple[str, ...]


def _pair(digits_a: int, digits_b: int, ordered: bool = False) -> Callable[[random.Random], Values]:
    def draw(rng: random.Random) -> Values:
        a, b = rng.randint(*_digits(digits_a)), rng.randint(*_digits(digits_b))
        if ordered and b > a:
            a, b = b, a
        return {"a": a, "b": b}

    return draw


def _draw_ranges(**ranges: tuple[int, int]) -> Callable[[random.Random], Values]:
    return lambda rng: {k: rng.randint(lo, hi) for k, (lo, hi) in ranges.items()}


def _add(name: str, level: int, digits: int) -> _Template:
    return _Template(name, level, "{a} + {b}", _pair(digits, digits), lambda v: v["a"] + v["b"],
                     lambda v: [_add_without_carry(v["a"], v["b"])], ("addition",))


def _sub(name: str, level: int, digits: int) -> _Template:
    return _Template(name, level, "{a} - {b}", _pair(digits, digits, ordered=True), lambda v: v["a"] - v["b"],
                     lambda v: [_subtract_digitwise(v["a"], v["b"])], ("subtraction",))


def _mul(name: str, level: int, digits_a: int, digits_b: int) -> _Template:
    def slips(v: Values) -> list[int | None]:
        a, b = v["a"], v["b"]
        return [a * (b + 1), a * (b - 1)]  # one row of the times table too many or too few

    draw = _pair(digits_a, digits_b) if digits_b > 1 else _draw_ranges(a=(12, 99), b=(3, 9))
    return _Template(name, level, "{a} × {b}", draw, lambda v: v["a"] * v["b"], slips, ("multiplication",))


_TEMPLATES: tuple[_Template, ...] = (
    _add("add2", 1, 2),
    _sub("sub2", 1, 2),
    _add("add3", 2, 3),
    _sub("sub3", 2, 3),
    _mul("mul2x1", 2, 2, 1),
    _add("add4", 3, 4),
    _sub("sub4", 3, 4),
    _mul("mul2x2", 3, 2, 2),
    # Precedence slips are the distractors: evaluating left to right, or dropping parentheses.
    _Template("add_mul", 4, "{a} + {b} × {c}", _draw_ranges(a=(10, 99), b=(10, 99), c=(2, 9)),
              lambda v: v["a"] + v["b"] * v["c"], lambda v: [(v["a"] + v["b"]) * v["c"]],
              ("addition", "multiplication", "order_of_operations", "multi_step")),
    _Template("mul_sub", 4, "{a} × {b} - {c}", _draw_ranges(a=(10, 99), b=(2, 9), c=(2, 19)),
              lambda v: v["a"] * v["b"] - v["c"], lambda v: [v["a"] * (v["b"] - v["c"])],
              ("multiplication", "subtraction", "order_of_operations", "multi_step")),
    _Template("paren_mul", 4, "({a} + {b}) × {c}", _draw_ranges(a=(10, 99), b=(10, 99), c=(2, 9)),
              lambda v: (v["a"] + v["b"]) * v["c"], lambda v: [v["a"] + v["b"] * v["c"]],
              ("addition", "multiplication", "parentheses", "multi_step")),
    _Template("paren_mul_sub", 5, "({a} + {b}) × {c} - {d}",
              _draw_ranges(a=(10, 99), b=(10, 99), c=(2, 9), d=(10, 99)),
              lambda v: (v["a"] + v["b"]) * v["c"] - v["d"], lambda v: [v["a"] + v["b"] * v["c"] - v["d"]],
              ("addition", "multiplication", "subtraction", "parentheses", "multi_step")),
    _Template("mul_add_mul", 5, "{a} × {b} + {c} × {d}",
              _draw_ranges(a=(10, 99), b=(2, 9), c=(10, 99), d=(2, 9)),
              lambda v: v["a"] * v["b"] + v["c"] * v["d"], lambda v: [(v["a"] * v["b"] + v["c"]) * v["d"]],
              ("multiplication", "addition", "order_of_operations", "multi_step")),
    _Template("sub_add_mul", 5, "{a} - {b} + {c} × {d}",
              _draw_ranges(a=(50, 99), b=(10, 49), c=(10, 99), d=(2, 9)),
              lambda v: v["a"] - v["b"] + v["c"] * v["d"], lambda v: [(v["a"] - v["b"] + v["c"]) * v["d"]],
              ("subtraction", "addition", "multiplication", "order_of_operations", "multi_step")),
    _mul("mul3x2", 5, 3, 2),
)


def _skills(template: _Template, values: Values) -> list[str]:
    skills = list(template.skills)
    a, b = values["a"], values["b"]
    if template.text == "{a} + {b}" and _has_carry(a, b):
        skills.append("carry")
    if template.text == "{a} - {b}" and _has_borrow(a, b):
        skills.append("borrow")
    if max(a, b) >= 100:
        skills.append("multi_digit")
    return skills


def _draw(rng: random.Random, level: int) -> tuple[_Template, Values, int]:
    template = rng.choice([t for t in _TEMPLATES if t.level == level])
    while True:  # redraw a zero (x - x) or negative (mul_sub with a large subtrahend) result
        values = template.draw(rng)
        answer = template.value(values)
        if answer > 0:
            return template, values, answer


def generate(n: int, seed: int = 0, *, multiple_choice: bool = False) -> list[Sample]:
    """`n` arithmetic items for `seed`; the question is the same in both variants, and the
    multiple-choice one adds four options (`target` is the right option's index)."""
    check_size(n)
    samples = []
    for index in range(n):
        rng = item_rng(FAMILY, seed, index)
        level = level_for(index)
        template, values, answer = _draw(rng, level)
        expression = template.text.format(**values)
        question = rng.choice(_PHRASINGS).format(e=expression)
        metadata = {
            "family": FAMILY,
            "group": sample_id("arith", index),
            "difficulty": level,
            "skills": _skills(template, values),
            "template": template.name,
            "expression": expression,
            "operands": values,
            "steps": sum(expression.count(op) for op in ("+", " - ", "×")),
            "answer": str(answer),
            "variant": "mc" if multiple_choice else "gen",
        }
        if multiple_choice:
            option_rng = item_rng(FAMILY, seed, index, stream="options")
            wrong = numeric_distractors(option_rng, answer, template.slips(values))
            choices, target = place_correct(option_rng, str(answer), [str(w) for w in wrong])
            samples.append(Sample(sample_id("arith", index), question, target, choices, metadata))
        else:
            samples.append(Sample(sample_id("arith", index), question, str(answer), None, metadata))
    return samples
