"""Shared pieces of the generated suites: per-item randomness, levels, ids and options.

Every suite draws each item from its own `random.Random` stream keyed by (family, seed,
index), so the first k items of `generate(n, seed)` are the same for every n >= k and a
change to one item's template cannot shift every later item.
"""

from __future__ import annotations

import random
from typing import Sequence

LEVELS = (1, 2, 3, 4, 5)


def item_rng(family: str, seed: int, index: int, stream: str = "item") -> random.Random:
    """The random stream of one item. String seeds hash with sha512 inside `random`, so the
    stream is the same on every platform and Python version that keeps `random`'s algorithm."""
    return random.Random(f"assay/{family}/{stream}/{seed}/{index}")


def level_for(index: int) -> int:
    """Difficulty level 1..5 of the item at `index`: cycling, so any n >= 5 covers all
    levels and every prefix is balanced to within one item per level."""
    return LEVELS[index % len(LEVELS)]


def sample_id(prefix: str, index: int) -> str:
    return f"{prefix}-{index:05d}"


def check_size(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")


def place_correct(rng: random.Random, correct: str, distractors: Sequence[str]) -> tuple[tuple[str, ...], int]:
    """Options with the right one at a position drawn uniformly by `rng`; returns (choices, target)."""
    position = rng.randrange(len(distractors) + 1)
    options = list(distractors[:position]) + [correct] + list(distractors[position:])
    return tuple(options), position


def digit_swap(value: int, rng: random.Random) -> int | None:
    """`value` with two adjacent, different digits swapped (a transposition slip), or None."""
    digits = str(value)
    spots = [i for i in range(len(digits) - 1) if digits[i] != digits[i + 1] and not (i == 0 and digits[1] == "0")]
    if not spots:
        return None
    i = rng.choice(spots)
    return int(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:])


def numeric_distractors(rng: random.Random, answer: int, slips: Sequence[int | None], k: int = 3) -> list[int]:
    """k distinct non-negative wrong numbers: the given slips first (typical mistakes, in
    order), then a digit swap, then near misses (±10, ±1, ±100, ...) in random order."""
    chosen: list[int] = []

    def add(value: int | None) -> None:
        if value is not None and value >= 0 and value != answer and value not in chosen and len(chosen) < k:
            chosen.append(value)

    for slip in slips:
        add(slip)
    add(digit_swap(answer, rng))
    near = [answer + 10, answer - 10, answer + 1, answer - 1]
    if answer >= 100:
        near += [answer + 100, answer - 100]
    rng.shuffle(near)
    for value in near:
        add(value)
    step = 2
    while len(chosen) < k:  # tiny answers (0, 1) can exhaust the near misses
        add(answer + step)
        step += 1
    return chosen


def join_names(names: Sequence[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}
