"""Generated Python problems with reference solutions and unit tests (the `code-gen` suite).

Each item is a small function to write — sums over filtered ranges, shifted alphabets,
run-length codes, linear recurrences, list filters, digit powers, word rewrites — with
names, constants and test inputs drawn from the item's own seeded stream, so no item can
have been seen in training data. The reference solution is part of the item, and the
expected outputs in the tests are computed by running it here at generation time, so the
tests and the reference always agree. Level 1..5 cycles with the index (`level_for`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable

from assay.core.sample import Sample
from assay.tasks.suites._common import check_size, item_rng, level_for, sample_id

VERSION = "1"
FAMILY = "code"

_VERBS = ("compute", "tally", "score", "measure", "fold", "scan", "gauge", "weigh", "rank", "probe")
_NOUNS = ("ledger", "orbit", "lattice", "quarry", "meadow", "signal", "harbor", "cipher", "ember", "valley")


@dataclass(frozen=True)
class _Problem:
    text: str
    signature: str
    reference: str
    inputs: list[tuple[Any, ...]]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_VERBS)}_{rng.choice(_NOUNS)}_{rng.randrange(10, 99)}"


def _sum_multiples(rng: random.Random, name: str) -> _Problem:
    a, b = rng.sample(range(2, 12), 2)
    ref = (f"def {name}(n):\n    return sum(i for i in range(1, n + 1) if i % {a} == 0 or i % {b} == 0)\n")
    text = f"return the sum of all integers from 1 to n inclusive that are divisible by {a} or by {b} (0 when n < 1)"
    return _Problem(text, f"{name}(n: int) -> int", ref, [(rng.randrange(-3, 200),) for _ in range(5)])


def _shift_letters(rng: random.Random, name: str) -> _Problem:
    k = rng.randrange(1, 25)
    ref = (f"def {name}(s):\n    out = []\n    for ch in s:\n        if 'a' <= ch <= 'z':\n"
           f"            out.append(chr((ord(ch) - 97 + {k}) % 26 + 97))\n        else:\n            out.append(ch)\n"
           "    return ''.join(out)\n")
    text = (f"shift every lowercase letter a-z of s forward by {k} places in the alphabet, wrapping from z to a; "
            "leave every other character unchanged")
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz XY!") for _ in range(rng.randrange(0, 14))) for _ in range(5)]
    return _Problem(text, f"{name}(s: str) -> str", ref, [(w,) for w in words])


def _run_length(rng: random.Random, name: str) -> _Problem:
    sep = rng.choice([":", "-", "x"])
    ref = (f"def {name}(s):\n    parts = []\n    i = 0\n    while i < len(s):\n        j = i\n"
           "        while j < len(s) and s[j] == s[i]:\n            j += 1\n"
           f"        parts.append(f'{{s[i]}}{sep}{{j - i}}')\n        i = j\n    return ','.join(parts)\n")
    text = (f"run-length encode s: each maximal run of one repeated character becomes the character, '{sep}', "
            "and the run length; runs are joined by ',' ('' for an empty string). Example: 'aab' gives "
            f"'a{sep}2,b{sep}1'")
    words = ["".join(rng.choice("aabbc") for _ in range(rng.randrange(0, 12))) for _ in range(5)]
    return _Problem(text, f"{name}(s: str) -> str", ref, [(w,) for w in words])


def _recurrence(rng: random.Random, name: str) -> _Problem:
    x, y, p, q = rng.randrange(0, 5), rng.randrange(1, 6), rng.randrange(1, 4), rng.randrange(-2, 3)
    ref = (f"def {name}(n):\n    a, b = {x}, {y}\n    for _ in range(n):\n        a, b = b, {p} * b + {q} * a\n"
           "    return a\n")
    text = f"return a(n) where a(0) = {x}, a(1) = {y} and a(n) = {p} * a(n-1) + ({q}) * a(n-2) for n >= 2"
    return _Problem(text, f"{name}(n: int) -> int", ref, [(n,) for n in rng.sample(range(0, 30), 5)])


def _filter_sort(rng: random.Random, name: str) -> _Problem:
    m, r = rng.randrange(2, 7), 0
    r = rng.randrange(0, m)
    ref = f"def {name}(xs):\n    return sorted((x for x in xs if x % {m} == {r}), reverse=True)\n"
    text = (f"return the elements x of the list xs with x % {m} == {r} (Python's %, so negatives too), "
            "sorted from largest to smallest")
    lists = [[rng.randrange(-50, 50) for _ in range(rng.randrange(0, 12))] for _ in range(5)]
    return _Problem(text, f"{name}(xs: list[int]) -> list[int]", ref, [(xs,) for xs in lists])


def _digit_power(rng: random.Random, name: str) -> _Problem:
    p = rng.randrange(2, 5)
    ref = f"def {name}(n):\n    return sum(int(d) ** {p} for d in str(abs(n)))\n"
    text = f"return the sum of the decimal digits of abs(n), each raised to the power {p}"
    return _Problem(text, f"{name}(n: int) -> int", ref, [(rng.randrange(-10**6, 10**6),) for _ in range(5)])


def _reverse_long_words(rng: random.Random, name: str) -> _Problem:
    length = rng.randrange(3, 7)
    ref = (f"def {name}(text):\n    return ' '.join(w[::-1] if len(w) >= {length} else w for w in text.split(' '))\n")
    text = (f"split text on single spaces, reverse every word of {length} or more characters, keep the others, "
            "and join them again with single spaces")
    vocab = ["sun", "harbor", "at", "lantern", "quiet", "ox", "meadows", "fig", "crystal", "two"]
    sentences = [" ".join(rng.choice(vocab) for _ in range(rng.randrange(1, 7))) for _ in range(5)]
    return _Problem(text, f"{name}(text: str) -> str", ref, [(s,) for s in sentences])


_TEMPLATES: dict[int, tuple[Callable[[random.Random, str], _Problem], ...]] = {
    1: (_digit_power, _filter_sort),
    2: (_sum_multiples, _reverse_long_words),
    3: (_shift_letters,),
    4: (_run_length,),
    5: (_recurrence,),
}


def _expected(reference: str, name: str, inputs: list[tuple[Any, ...]]) -> list[Any]:
    namespace: dict[str, Any] = {}
    exec(compile(reference, f"<reference {name}>", "exec"), namespace)  # our own generated reference, not model code
    return [namespace[name](*args) for args in inputs]


def generate(n: int, seed: int) -> list[Sample]:
    """`n` problems from `seed`: prompt, entry point, reference solution and assert tests."""
    check_size(n)
    samples = []
    for index in range(n):
        rng = item_rng(FAMILY, seed, index)
        level = level_for(index)
        make = rng.choice(_TEMPLATES[level])
        name = _name(rng)
        problem = make(rng, name)
        expected = _expected(problem.reference, name, problem.inputs)
        tests = "\n".join(f"assert {name}({', '.join(map(repr, args))}) == {out!r}"
                          for args, out in zip(problem.inputs, expected)) + "\n"
        prompt = (f"Write a Python function `{problem.signature}`: {problem.text}.\n"
                  f"For example, {name}({', '.join(map(repr, problem.inputs[0]))}) == {expected[0]!r}.\n"
                  "Reply with the function in a single ```python code block.")
        samples.append(Sample(
            id=sample_id("code", index), input=prompt, target=problem.reference,
            metadata={"entry_point": name, "tests": tests, "reference": problem.reference, "level": level,
                      "template": make.__name__.lstrip("_"), "group": sample_id("code", index)}))
    return samples


def make_task(opts: Any) -> Any:
    """The `code-gen` task from `CodeOptions` (n defaults to 50)."""
    from assay.core.task import Task, TaskKind
    from assay.tasks.code_tasks import VERBATIM, _generation, _memo, _scorers

    n = opts.n or 50
    return Task(name="code-gen", version=VERSION, kind=TaskKind.GENERATE,
                load=_memo(lambda: generate(n, opts.seed)), scorers=_scorers(opts), format=VERBATIM,
                generation=_generation(opts, True), chat=True, family=FAMILY,
                description="Generated Python functions with reference solutions and unit tests.",
                source={"builtin": "code-gen", "n": n, "seed": opts.seed, "version": VERSION, "options": opts.given})
