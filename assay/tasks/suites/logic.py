"""Logical deduction puzzles with exactly one solution: ordering in a row, and who-has-what.

An ordering puzzle seats N people in a row and gives clues such as "Ann is directly to the
left of Ben"; an assignment puzzle gives each person a different house, pet or drink with
clues such as "Cal does not own the dog". Clues are drawn from the statements true of a
hidden solution until brute force over all N! arrangements leaves exactly one, then any
clue the others already imply is dropped, so every clue matters. The question asks who
sits at a position or who has a thing, never something a single clue states outright
when that can be avoided.

Level sets the size (3 to 6 people) and how indirect the clues are: absolute positions
and direct statements at level 1, only relative positions and negations at level 5.
"""

from __future__ import annotations

import functools
import itertools
import random
from math import factorial
from typing import Sequence

import numpy as np

from assay.core.sample import Sample
from assay.tasks.suites._common import (
    NUMBER_WORDS,
    ORDINALS,
    check_size,
    item_rng,
    join_names,
    level_for,
    place_correct,
    sample_id,
)

VERSION = "1"
"""Bump whenever generation changes: the same seed must always yield the same items."""

FAMILY = "logic"

_NAMES = ("Ann", "Ben", "Cal", "Dee", "Eve", "Finn", "Gus", "Hana", "Ivy", "Jon", "Kim", "Leo",
          "Mia", "Ned", "Omar", "Pam", "Rosa", "Sam", "Tara", "Zoe")
_SCENES = (("friends", "sit side by side on a bench"), ("children", "stand in a row for a photo"),
           ("runners", "wait in a row at the start line"), ("guests", "sit in a row at a long table"))

Clue = tuple
State = tuple[str, ...]

# Ordering clues: how often each kind is picked, by level. Weak clues (somewhere left,
# next to, not at an end) force more combining than "X is second from the left".
_ORDER_WEIGHTS = {
    1: {"at_pos": 4, "imm_left": 2, "imm_right": 2, "left_of": 1, "right_of": 1, "adjacent": 1, "not_end": 1},
    2: {"at_pos": 2, "imm_left": 2, "imm_right": 2, "left_of": 2, "right_of": 2, "adjacent": 1, "not_end": 1},
    3: {"at_end": 1, "imm_left": 2, "imm_right": 2, "left_of": 3, "right_of": 3, "adjacent": 2,
        "not_adjacent": 1, "not_end": 2},
    4: {"imm_left": 1, "imm_right": 1, "left_of": 3, "right_of": 3, "adjacent": 2, "not_adjacent": 2, "not_end": 2},
    5: {"imm_left": 1, "imm_right": 1, "left_of": 3, "right_of": 3, "adjacent": 2, "not_adjacent": 2, "not_end": 2},
}
_ORDER_SIZE = {1: 3, 2: 4, 3: 4, 4: 5, 5: 6}
_ORDER_TEXT = {
    "left_of": ("{a} is somewhere to the left of {b}.", "{a} is further left than {b}."),
    "right_of": ("{a} is somewhere to the right of {b}.", "{a} is further right than {b}."),
    "imm_left": ("{a} is directly to the left of {b}.", "{a} is just left of {b}."),
    "imm_right": ("{a} is directly to the right of {b}.", "{a} is just right of {b}."),
    "adjacent": ("{a} is next to {b}.", "{a} and {b} are next to each other."),
    "not_adjacent": ("{a} is not next to {b}.", "{a} and {b} are not next to each other."),
    "not_end": ("{a} is not at either end.", "{a} is not at either end of the row."),
}

# Assignment themes: (setup, the things' list sentence, is, is-not, either, question).
_THEMES = {
    "house": ("Each of them lives in a different house.", "The houses are {things}.",
              "{a} lives in the {x} house.", "{a} does not live in the {x} house.",
              "{a} lives in the {x} house or the {y} house.", "Who lives in the {x} house?",
              ("red", "blue", "green", "yellow", "white", "pink")),
    "pet": ("Each of them owns a different pet.", "The pets are {things}.",
            "{a} owns the {x}.", "{a} does not own the {x}.", "{a} owns the {x} or the {y}.", "Who owns the {x}?",
            ("cat", "dog", "fish", "bird", "rabbit", "horse")),
    "drink": ("Each of them likes a different drink.", "The drinks are {things}.",
              "{a} likes {x}.", "{a} does not like {x}.", "{a} likes {x} or {y}.", "Who likes {x}?",
              ("tea", "coffee", "milk", "juice", "water", "cocoa")),
}
_ASSIGN_WEIGHTS = {1: {"is": 4, "is_not": 2, "either": 1}, 2: {"is": 2, "is_not": 3, "either": 2},
                   3: {"is": 1, "is_not": 3, "either": 2}, 4: {"is": 1, "is_not": 3, "either": 3},
                   5: {"is": 1, "is_not": 4, "either": 3}}
_ASSIGN_SIZE = {1: 3, 2: 3, 3: 4, 4: 4, 5: 5}


_ORDER_KINDS = ("left_of", "right_of", "imm_left", "imm_right", "adjacent", "not_adjacent")


@functools.lru_cache(maxsize=None)
def _permutations(size: int) -> np.ndarray:
    """All orderings of range(size), in itertools.permutations order: row s is the s-th
    candidate state of a puzzle whose solution has `size` entries."""
    return np.array(list(itertools.permutations(range(size))), dtype=np.int8)


@functools.lru_cache(maxsize=None)
def _order_bits(size: int) -> dict[tuple, int]:
    """Each ordering clue's truth over all candidate rows, as a bit set (bit s: state s), for
    clues written over solution indices: (kind, i, j) speaks of the people the solution
    seats at i and j, ("at_pos", i, p) and ("not_end", i) of the one at i.

    The same for every puzzle of a size, so it is computed once per size; a puzzle maps its
    names to solution indices and reads these bits."""
    where = np.argsort(_permutations(size), axis=1)  # where[s, i]: position of solution entry i in state s
    bits: dict[tuple, int] = {}
    for i in range(size):
        pa = where[:, i]
        for p in range(size):
            bits[("at_pos", i, p)] = _bits(pa == p)
        bits[("not_end", i)] = _bits((pa > 0) & (pa < size - 1))
        for j in range(size):
            if j != i:
                pb = where[:, j]
                for kind, truth in zip(_ORDER_KINDS, (pa < pb, pa > pb, pa == pb - 1, pa == pb + 1,
                                                      np.abs(pa - pb) == 1, np.abs(pa - pb) > 1)):
                    bits[(kind, i, j)] = _bits(truth)
    return bits


def _order_pool(row: State, kinds: set[str]) -> tuple[list[Clue], dict[Clue, int]]:
    """Every clue of the allowed kinds that is true of `row`, and each one's truth over all
    orderings of it as a bit set."""
    pool: list[Clue] = []
    masks: dict[Clue, int] = {}
    size = len(row)
    bits = _order_bits(size)
    for i, j in itertools.permutations(range(size), 2):
        a, b = row[i], row[j]
        for kind in _ORDER_KINDS:
            if kind in kinds and (kind not in ("adjacent", "not_adjacent") or a < b):
                truth = bits[(kind, i, j)]
                if truth & 1:  # state 0 is the solution itself
                    pool.append((kind, a, b))
                    masks[pool[-1]] = truth
    for i, a in enumerate(row):
        if "at_pos" in kinds or ("at_end" in kinds and i in (0, size - 1)):
            pool.append(("at_pos", a, i))
            masks[pool[-1]] = bits[("at_pos", i, i)]
        if "not_end" in kinds and 0 < i < size - 1:
            pool.append(("not_end", a))
            masks[pool[-1]] = bits[("not_end", i)]
    return pool, masks


def _clashes(pool: list[Clue]) -> list[set[int]]:
    """For each clue (by index in `pool`), the clues that make an awkward pair with it:
    "X owns the cat or the dog" next to "X does not own the dog" just says "X owns the cat"."""
    negations = {(c[1], c[2]): k for k, c in enumerate(pool) if c[0] == "is_not"}
    clash: list[set[int]] = [set() for _ in pool]
    for k, clue in enumerate(pool):
        if clue[0] == "either":
            for thing in clue[2:]:
                d = negations.get((clue[1], thing))
                if d is not None:
                    clash[k].add(d)
                    clash[d].add(k)
    return clash


@functools.lru_cache(maxsize=None)
def _owner_bits(size: int) -> dict[tuple[int, int], int]:
    """(p, j) -> the candidate states (bit set) in which person p has thing j, with states
    as permutations of the solution's things (thing j belongs to person j in the solution)."""
    owned = _permutations(size)  # owned[s, p]: index of the thing person p has in state s
    return {(p, j): _bits(owned[:, p] == j) for p in range(size) for j in range(size)}


def _assign_masks(pool: list[Clue], names: Sequence[str], things: Sequence[str]) -> dict[Clue, int]:
    """Each assignment clue's truth over the candidate states as a bit set (bit i: state i).
    States are permutations of the things; state[p] is what person names[p] has."""
    size = len(names)
    owns, everything = _owner_bits(size), (1 << factorial(size)) - 1
    person = {name: p for p, name in enumerate(names)}
    thing = {t: j for j, t in enumerate(things)}
    masks: dict[Clue, int] = {}
    for clue in pool:
        p = person[clue[1]]
        if clue[0] == "is":
            masks[clue] = owns[(p, thing[clue[2]])]
        elif clue[0] == "is_not":
            masks[clue] = everything & ~owns[(p, thing[clue[2]])]
        else:
            masks[clue] = owns[(p, thing[clue[2]])] | owns[(p, thing[clue[3]])]
    return masks


def _bits(truth: np.ndarray) -> int:
    return int.from_bytes(np.packbits(truth, bitorder="little").tobytes(), "little")


def _choose_clues(rng: random.Random, pool: list[Clue], weights: dict[str, int], masks: dict[Clue, int],
                  n_states: int) -> list[Clue]:
    """Add random informative true clues until one state is left, then drop redundant ones.

    `masks` holds each clue's truth over the candidate states as a bit set, so narrowing
    and the redundancy checks are AND operations on ints. Clues are handled by their index
    in `pool`; the random draws are the same as drawing the clues themselves."""
    everything = (1 << n_states) - 1
    bits = [masks[c] for c in pool]
    rules_out = [everything ^ b for b in bits]  # the states each clue excludes
    weight = [weights.get(c[0], weights.get("at_end", 1)) for c in pool]
    clash = _clashes(pool)
    remaining, chosen, taken, awkward = everything, [], set(), set()  # awkward: clashes with a chosen clue
    while remaining & (remaining - 1):  # more than one state left
        useful = [k for k in range(len(pool)) if k not in taken and remaining & rules_out[k]]
        if awkward:
            useful = [k for k in useful if k not in awkward] or useful
        pick = rng.choices(useful, weights=[weight[k] for k in useful])[0]
        chosen.append(pick)
        taken.add(pick)
        awkward |= clash[pick]
        remaining &= bits[pick]
    for clue in rng.sample(chosen, len(chosen)):
        trial = [c for c in chosen if c != clue]
        left = everything
        for c in trial:
            left &= bits[c]
        if left and not left & (left - 1):  # exactly one state satisfies the rest
            chosen = trial
    return [pool[k] for k in rng.sample(chosen, len(chosen))]


def _ordering(rng: random.Random, level: int) -> dict:
    size = _ORDER_SIZE[level]
    row = tuple(rng.sample(_NAMES, size))
    weights = _ORDER_WEIGHTS[level]
    pool, masks = _order_pool(row, set(weights))
    clues = _choose_clues(rng, pool, weights, masks, factorial(size))
    stated = {c[2] for c in clues if c[0] == "at_pos"}
    position = rng.choice([i for i in range(size) if i not in stated] or list(range(size)))
    group, scene = rng.choice(_SCENES)
    listed = rng.sample(row, size)
    lines = [f"{NUMBER_WORDS[size].capitalize()} {group} {scene}. Their names are {join_names(listed)}."]
    for clue in clues:
        if clue[0] == "at_pos":
            i = clue[2]
            lines.append(f"{clue[1]} is at the far left." if i == 0 else f"{clue[1]} is at the far right."
                         if i == size - 1 else f"{clue[1]} is {ORDINALS[i + 1]} from the left.")
        else:
            lines.append(rng.choice(_ORDER_TEXT[clue[0]]).format(a=clue[1], b=clue[2] if len(clue) > 2 else ""))
    if position == 0:
        question, side = "Who is at the far left?", "left"
    elif position == size - 1:
        question, side = "Who is at the far right?", "right"
    elif rng.random() < 0.5:
        question, side = f"Who is {ORDINALS[position + 1]} from the left?", "left"
    else:
        question, side = f"Who is {ORDINALS[size - position]} from the right?", "right"
    kinds = {c[0] for c in clues}
    skills = ["deduction", "ordering"]
    skills += ["negation"] if kinds & {"not_adjacent", "not_end"} else []
    skills += ["adjacency"] if kinds & {"imm_left", "imm_right", "adjacent", "not_adjacent"} else []
    skills += ["relative_position"] if kinds & {"left_of", "right_of"} else []
    skills += ["counting_positions"] if side == "right" and 0 < position < size - 1 else []
    return {"puzzle": "ordering", "names": listed, "solution": list(row), "clues": clues, "lines": lines,
            "question": question, "answer": row[position], "skills": skills,
            "asked": {"position_from_left": position + 1}}


def _assignment(rng: random.Random, level: int) -> dict:
    size = _ASSIGN_SIZE[level]
    theme = rng.choice(sorted(_THEMES))
    setup, listing, is_text, not_text, either_text, ask, things_pool = _THEMES[theme]
    names = tuple(rng.sample(_NAMES, size))
    things = tuple(rng.sample(things_pool, size))  # things[i] belongs to names[i]
    pool: list[Clue] = []
    for name, mine in zip(names, things):
        pool.append(("is", name, mine))
        for other in things:
            if other != mine:
                pool.append(("is_not", name, other))
                pool.append(("either", name, *rng.sample((mine, other), 2)))
    masks = _assign_masks(pool, names, things)
    clues = _choose_clues(rng, pool, _ASSIGN_WEIGHTS[level], masks, factorial(size))
    stated = {c[2] for c in clues if c[0] == "is"}
    asked = rng.choice([t for t in things if t not in stated] or list(things))
    listed_things = rng.sample(things, size)
    shown = [f"an {t}" if theme == "pet" and t[0] in "aeiou" else f"a {t}" if theme == "pet" else t
             for t in listed_things]
    lines = [f"{NUMBER_WORDS[size].capitalize()} neighbours live on a street. Their names are "
             f"{join_names(rng.sample(names, size))}.", setup, listing.format(things=join_names(shown))]
    text = {"is": is_text, "is_not": not_text, "either": either_text}
    for clue in clues:
        lines.append(text[clue[0]].format(a=clue[1], x=clue[2], y=clue[3] if len(clue) > 3 else ""))
    kinds = {c[0] for c in clues}
    skills = ["deduction", "assignment"] + (["negation"] if "is_not" in kinds else [])
    skills += ["disjunction"] if "either" in kinds else []
    return {"puzzle": "assignment", "theme": theme, "names": list(names), "solution": list(things),
            "clues": clues, "lines": lines, "question": ask.format(x=asked),
            "answer": names[things.index(asked)], "skills": skills, "asked": {"thing": asked}}


def generate(n: int, seed: int = 0, *, multiple_choice: bool = False) -> list[Sample]:
    """`n` puzzles for `seed`, each with one question whose answer is a name. The
    multiple-choice variant offers the people's names (at most five) as options."""
    check_size(n)
    samples = []
    for index in range(n):
        rng = item_rng(FAMILY, seed, index)
        level = level_for(index)
        puzzle = _ordering(rng, level) if rng.random() < 0.65 else _assignment(rng, level)
        question = " ".join(puzzle["lines"] + [puzzle["question"]])
        answer = puzzle["answer"]
        sid = sample_id("logic", index)
        metadata = {
            "family": FAMILY,
            "group": sid,
            "difficulty": level,
            "skills": puzzle["skills"],
            "puzzle": puzzle["puzzle"],
            "size": len(puzzle["solution"]),
            "clues": [list(c) for c in puzzle["clues"]],
            "solution": puzzle["solution"],
            "asked": puzzle["asked"],
            "answer": answer,
            "variant": "mc" if multiple_choice else "gen",
        }
        if multiple_choice:
            option_rng = item_rng(FAMILY, seed, index, stream="options")
            others = [name for name in sorted(puzzle["names"]) if name != answer]
            wrong = option_rng.sample(others, min(len(others), 4))
            choices, target = place_correct(option_rng, answer, wrong)
            samples.append(Sample(sid, question, target, choices, metadata))
        else:
            samples.append(Sample(sid, question, answer, None, metadata))
    return samples
