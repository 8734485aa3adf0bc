"""Word problems: short stories about shopping, rates, ages and sharing with a numeric answer.

Level k (1..4) needs k arithmetic steps; level 5 needs four steps with larger numbers and
adds a sentence with an irrelevant number (the distraction that GSM-IC showed hurts
models). The structured quantities go into metadata so a checker can recompute the answer
without reading it. The multiple-choice variant's distractors are the partial results a
solver stops at one step early, then near misses.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable

from assay.core.sample import Sample
from assay.tasks.suites._common import (
    check_size,
    item_rng,
    join_names,
    level_for,
    numeric_distractors,
    place_correct,
    sample_id,
)

VERSION = "1"
"""Bump whenever generation changes: the same seed must always yield the same items."""

FAMILY = "word_problems"

_PEOPLE = (("Maya", "she"), ("Leo", "he"), ("Ana", "she"), ("Tom", "he"), ("Nia", "she"),
           ("Omar", "he"), ("Zoe", "she"), ("Sam", "he"), ("Ivy", "she"), ("Ben", "he"))
_GOODS = (("pen", "pens"), ("notebook", "notebooks"), ("cup", "cups"), ("ticket", "tickets"),
          ("candle", "candles"), ("apple", "apples"), ("sandwich", "sandwiches"), ("ball", "balls"))
_WORKERS = (("machine", "makes", "toys"), ("printer", "prints", "posters"), ("baker", "bakes", "rolls"),
            ("factory", "builds", "chairs"))
_SHARED = (("cookies", "bakes", "eats"), ("stickers", "buys", "loses"), ("marbles", "finds", "loses"),
           ("apples", "picks", "eats"))
_NOISE = ("{other} has {x} cats.", "The shop is {x} minutes from home.", "It is {x} degrees outside.",
          "{other} is reading a book with {x} pages.")


@dataclass
class _Problem:
    story: list[str]
    question: str
    quantities: dict[str, Any]
    answer: int
    partials: list[int]
    skills: list[str] = field(default_factory=list)


def _shopping(rng: random.Random, steps: int, big: bool) -> _Problem:
    name, pron = rng.choice(_PEOPLE)
    goods = rng.sample(_GOODS, 2)
    quantity_max, price_max = (12, 25) if big else (9, 9)
    items = [[rng.randint(2, quantity_max), rng.randint(2, price_max)] for _ in range(1 if steps <= 2 else 2)]
    costs = [q * p for q, p in items]
    total = sum(costs)
    paid = next(b for b in (10, 20, 50, 100, 200, 500, 1000) if b > total) if steps in (2, 4) else None
    bought = [f"{q} {good[1]} for ${p} each" for (q, p), good in zip(items, goods)]
    story = [f"{name} buys {join_names(bought)}."]
    skills = ["money", "multiplication"] + (["addition"] if len(items) > 1 else [])
    if paid is not None:
        story.append(f"{pron.capitalize()} pays with a ${paid} bill.")
        question = rng.choice(("How much change does {p} get, in dollars?", "How many dollars does {p} get back?"))
        skills.append("subtraction")
    else:
        question = rng.choice(("How many dollars does {p} spend?", "How much does {p} pay in total, in dollars?"))
    answer = total if paid is None else paid - total
    partials = (costs + [total]) if len(items) > 1 else costs
    quantities = {"items": items, "paid": paid}
    return _Problem(story, question.format(p=pron), quantities, answer, partials, skills)


def _rates(rng: random.Random, steps: int, big: bool) -> _Problem:
    worker, verb, things = rng.choice(_WORKERS)
    rate_max, hour_max = (40, 12) if big else (12, 8)
    rates = [rng.randint(2, rate_max) for _ in range(1 if steps <= 2 else 2)]
    hours = rng.randint(2, hour_max)
    made = sum(rates) * hours
    broken = box = None
    if steps >= 2:
        broken = rng.randint(1, min(9, made - 1))
    if steps == 4:
        box = rng.choice((4, 5, 6, 8, 10))
        broken = made % box + box * rng.randint(0 if made % box else 1, 2)
        while broken >= made:
            broken -= box
    if len(rates) == 1:
        story = [f"A {worker} {verb} {rates[0]} {things} every hour for {hours} hours."]
    else:
        story = [f"One {worker} {verb} {rates[0]} {things} an hour and a second {worker} {verb} {rates[1]} {things} "
                 f"an hour.", f"Both work for {hours} hours."]
    skills = ["rates", "multiplication"] + (["addition"] if len(rates) > 1 else [])
    partials = ([sum(rates)] if len(rates) > 1 else []) + [made]
    if broken is None:
        question, answer = f"How many {things} are made in total?", made
    else:
        story.append(f"{broken} of the {things} are faulty and thrown away.")
        question, answer = f"How many good {things} are left?", made - broken
        skills.append("subtraction")
    if box is not None:
        partials.append(answer)
        story.append(f"The good {things} are packed in boxes of {box}.")
        question, answer = "How many boxes are filled?", answer // box
        skills.append("division")
    quantities = {"rates": rates, "hours": hours, "broken": broken, "box": box}
    return _Problem(story, question, quantities, answer, partials, skills)


def _ages(rng: random.Random, steps: int, big: bool) -> _Problem:
    future = steps >= 2 and rng.random() < 0.4
    links = steps - 1 if future else steps
    names = [p[0] for p in rng.sample(_PEOPLE, links + 1)]
    start = age = rng.randint(20, 50) if big else rng.randint(5, 20)
    gap_max = 25 if big else 12
    story, chain, partials, skills = [f"{names[0]} is {age} years old."], [], [], ["ages"]
    for prev, person in zip(names, names[1:]):
        options = ["older"] + (["younger"] if age > 4 else []) + (["times"] if age <= 30 else [])
        kind = rng.choice(options)
        if kind == "older":
            k = rng.randint(2, gap_max)
            story.append(f"{person} is {k} years older than {prev}.")
            age, skill = age + k, "addition"
        elif kind == "younger":
            k = rng.randint(2, min(gap_max, age - 2))
            story.append(f"{person} is {k} years younger than {prev}.")
            age, skill = age - k, "subtraction"
        else:
            k = rng.choice((2, 3))
            story.append(f"{person} is {k} times as old as {prev}.")
            age, skill = age * k, "multiplication"
        chain.append([kind, k])
        partials.append(age)
        skills.append(skill)
    years = rng.randint(2, 15) if future else 0
    if future:
        question, answer = f"How old will {names[-1]} be in {years} years?", age + years
        skills.append("addition")
    else:
        question, answer = f"How old is {names[-1]}?", partials.pop()
    quantities = {"start": start, "chain": chain, "years_later": years}
    return _Problem(story, question, quantities, answer, partials, sorted(set(skills), key=skills.index))


def _sharing(rng: random.Random, steps: int, big: bool) -> _Problem:
    name, pron = rng.choice(_PEOPLE)
    things, gain, lose = rng.choice(_SHARED)
    people, share = (rng.randint(3, 9), rng.randint(5, 20)) if big else (rng.randint(2, 6), rng.randint(2, 9))
    total = people * share
    removed = rng.randint(1, 9 if not big else 25) if steps >= 3 else 0
    added = rng.randint(2, min(total + removed - 1, 30 if big else 9)) if steps >= 2 else 0
    start = total - added + removed
    given = rng.randint(1, share - 1) if steps == 4 else 0
    story = [f"{name} has {start} {things}."]
    if added:
        story.append(f"{pron.capitalize()} {gain} {added} more.")
    if removed:
        story.append(f"Then {pron} {lose} {removed} of them.")
    story.append(f"{pron.capitalize()} shares the {things} equally among {people} friends.")
    skills = ["sharing", "division"] + (["addition"] if added else []) + (["subtraction"] if removed or given else [])
    partials = ([start + added] if added else []) + ([total] if removed else [])
    if given:
        story.append(f"Each friend then gives {given} away.")
        question, answer = f"How many {things} does each friend have left?", share - given
        partials.append(share)
    else:
        question, answer = f"How many {things} does each friend get?", share
    quantities = {"start": start, "added": added, "removed": removed, "people": people, "given_away": given}
    return _Problem(story, question, quantities, answer, partials, skills)


_SCENARIOS: dict[str, Callable[[random.Random, int, bool], _Problem]] = {
    "shopping": _shopping, "rates": _rates, "ages": _ages, "sharing": _sharing,
}


def _problem(rng: random.Random, level: int) -> tuple[str, _Problem]:
    scenario = rng.choice(sorted(_SCENARIOS))
    problem = _SCENARIOS[scenario](rng, min(level, 4), level == 5)
    problem.skills.append("reading")
    if level >= 2:
        problem.skills.append("multi_step")
    if level == 5:
        x = rng.randint(3, 60)
        other = rng.choice([p[0] for p in _PEOPLE if p[0] not in " ".join(problem.story)])
        problem.story.insert(rng.randint(1, len(problem.story)), rng.choice(_NOISE).format(other=other, x=x))
        problem.quantities["irrelevant"] = x
        problem.skills.append("irrelevant_information")
    return scenario, problem


def generate(n: int, seed: int = 0, *, multiple_choice: bool = False) -> list[Sample]:
    """`n` word problems for `seed`; the multiple-choice variant adds four numeric options."""
    check_size(n)
    samples = []
    for index in range(n):
        rng = item_rng(FAMILY, seed, index)
        level = level_for(index)
        scenario, problem = _problem(rng, level)
        question = " ".join(problem.story + [problem.question])
        sid = sample_id("word", index)
        metadata = {
            "family": FAMILY,
            "group": sid,
            "difficulty": level,
            "steps": min(level, 4),
            "skills": problem.skills,
            "scenario": scenario,
            "quantities": problem.quantities,
            "answer": str(problem.answer),
            "variant": "mc" if multiple_choice else "gen",
        }
        if multiple_choice:
            option_rng = item_rng(FAMILY, seed, index, stream="options")
            wrong = numeric_distractors(option_rng, problem.answer, problem.partials[::-1])
            choices, target = place_correct(option_rng, str(problem.answer), [str(w) for w in wrong])
            samples.append(Sample(sid, question, target, choices, metadata))
        else:
            samples.append(Sample(sid, question, str(problem.answer), None, metadata))
    return samples
