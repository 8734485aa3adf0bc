"""Reading questions about an invented world, answerable only from the passage given.

In the spirit of the Glianorex benchmark (a textbook about a gland that does not exist):
each passage describes two invented things of one kind (glands, planets or animals) with
made-up names, places, numbers and products, so no model can have seen the facts in
training. Five questions follow each passage, one per level: look up a name (1), a number
with its unit (2), a place or a reverse look-up (3), a comparison of the two numbers (4),
and a two-hop question through the product (5). The passage is the cluster (`group`):
questions on one passage share its difficulty, so standard errors should be clustered.

Multiple-choice distractors include the other entity's fact from the same passage, so
pattern matching on "which option appears in the text" does not suffice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from assay.core.sample import Sample
from assay.tasks.suites._common import check_size, item_rng, level_for, place_correct, sample_id

VERSION = "1"
"""Bump whenever generation changes: the same seed must always yield the same items."""

FAMILY = "fiction"
QUESTIONS_PER_PASSAGE = 5

_ONSETS = ("gl", "v", "th", "k", "z", "m", "dr", "s", "pr", "l", "n", "qu", "br", "f", "t", "r", "p", "x", "vr")
_RARE_ONSETS = ("gl", "z", "qu", "x", "vr")  # at least one per name keeps real English words out
_VOWELS = ("a", "e", "i", "o", "u", "a", "e", "i", "o", "ia")
_CODAS = ("n", "r", "x", "l", "s", "m", "th")


@dataclass(frozen=True)
class _Theme:
    noun: str                # "gland": used in "Which gland ...?"
    article: bool            # "the Vorinex" (glands, animals) or bare "Vorinex" (planets)
    intro: str
    places: tuple[str, ...]
    place_fact: str
    place_question: str
    number_fact: str
    number_question: str
    unit: str
    number_range: tuple[int, int]
    product_fact: str
    product_question: str
    effects: tuple[str, ...]
    effect_fact: str
    hop_question: str
    compare_question: str
    reverse_question: str


_THEMES = {
    "gland": _Theme(
        "gland", True, "The medical books of {W} describe two small glands: the {A} and the {B}.",
        ("behind the left ear", "under the tongue", "next to the heart", "inside the lower spine",
         "beside the liver", "above the right eye"),
        "The {X} sits {v}.", "Where does the {X} sit?",
        "The {X} weighs {v} grams.", "How much does the {X} weigh?", "grams", (3, 95),
        "The {X} makes a hormone called {v}.", "What hormone does the {X} make?",
        ("sleep", "body heat", "hunger", "hair growth", "memory", "thirst", "balance"),
        "{P} controls {v}.", "What does the hormone made by the {X} control?",
        "Which gland is heavier, the {A} or the {B}?", "Which gland makes {P}?"),
    "planet": _Theme(
        "planet", False, "The star {W} has two planets, {A} and {B}.",
        ("purple sand", "deep oceans", "thick ice", "red forests", "glass hills", "grey fog"),
        "{X} is covered in {v}.", "What is {X} covered in?",
        "A day on {X} lasts {v} hours.", "How long is a day on {X}?", "hours", (5, 90),
        "Miners on {X} dig up a metal called {v}.", "What metal do miners dig up on {X}?",
        ("bridges", "ships", "clocks", "lamps", "bells", "roads"),
        "{P} is used to build {v}.", "What is the metal from {X} used to build?",
        "Which planet has the longer day, {A} or {B}?", "On which planet do miners dig up {P}?"),
    "animal": _Theme(
        "animal", True, "Two rare animals live on the island of {W}: the {A} and the {B}.",
        ("in tall trees", "under flat rocks", "in cold rivers", "in sandy caves", "on high cliffs",
         "in muddy swamps"),
        "The {X} lives {v}.", "Where does the {X} live?",
        "The {X} can live for {v} years.", "How long can the {X} live?", "years", (4, 80),
        "The {X} eats a plant called {v}.", "What plant does the {X} eat?",
        ("blue", "silver", "orange", "black", "pink", "yellow"),
        "{P} has {v} leaves.", "What colour are the leaves of the plant that the {X} eats?",
        "Which animal lives longer, the {A} or the {B}?", "Which animal eats {P}?"),
}


def _invented_names(rng: random.Random, k: int) -> list[str]:
    """k distinct made-up words of three syllables and a final consonant ("Glianorex"-like),
    with an uncommon onset, none contained in another."""
    names: list[str] = []
    while len(names) < k:
        onsets = [rng.choice(_ONSETS) for _ in range(3)]
        word = ("".join(o + rng.choice(_VOWELS) for o in onsets) + rng.choice(_CODAS)).capitalize()
        if not any(o in _RARE_ONSETS for o in onsets) or len(word) > 10:
            continue
        if all(word.lower() not in other.lower() and other.lower() not in word.lower() for other in names):
            names.append(word)
    return names


def _passage(rng: random.Random) -> tuple[str, _Theme, list[dict], list[str]]:
    """One passage: its text, theme, the two entities' facts, and two spare invented names."""
    theme_name = rng.choice(sorted(_THEMES))
    theme = _THEMES[theme_name]
    world, a, b, product_a, product_b, spare1, spare2 = _invented_names(rng, 7)
    places = rng.sample(theme.places, 2)
    effects = rng.sample(theme.effects, 2)
    low, high = theme.number_range
    number_a = rng.randint(low, high)
    number_b = rng.choice([v for v in range(low, high + 1) if abs(v - number_a) >= 3])
    entities = [
        {"name": a, "place": places[0], "number": number_a, "product": product_a, "effect": effects[0]},
        {"name": b, "place": places[1], "number": number_b, "product": product_b, "effect": effects[1]},
    ]
    sentences = [theme.intro.format(W=world, A=a, B=b)]
    for e in entities:
        sentences += [
            theme.place_fact.format(X=e["name"], v=e["place"]),
            theme.number_fact.format(X=e["name"], v=e["number"]),
            theme.product_fact.format(X=e["name"], v=e["product"]),
            theme.effect_fact.format(P=e["product"], v=e["effect"]),
        ]
    return " ".join(sentences), theme, entities, [spare1, spare2]


def _question(rng: random.Random, level: int, theme: _Theme, entities: list[dict], spares: list[str]):
    """(kind, question, acceptable answers, right option, wrong options, entity asked about)."""
    me, other = rng.sample(entities, 2)
    x = me["name"]
    as_named = (x, f"the {x}") if theme.article else (x,)
    if level == 1:
        return ("product", theme.product_question.format(X=x), (me["product"],), me["product"],
                [other["product"], *spares], x)
    if level == 2:
        value, unit = me["number"], theme.unit
        near = [v for v in (value + 1, value - 1, value + 10, value - 10, value + 2)
                if v > 0 and v not in (value, other["number"])]
        wrong = [f"{other['number']} {unit}"] + [f"{v} {unit}" for v in rng.sample(near, 2)]
        return ("number", theme.number_question.format(X=x), (f"{value} {unit}", str(value)),
                f"{value} {unit}", wrong, x)
    if level == 3 and rng.random() < 0.5:
        spare_places = [p for p in theme.places if p not in (me["place"], other["place"])]
        return ("place", theme.place_question.format(X=x), (me["place"],), me["place"],
                [other["place"], *rng.sample(spare_places, 2)], x)
    if level == 3:
        return ("reverse", theme.reverse_question.format(P=me["product"]), as_named, x,
                [other["name"], *spares], x)
    if level == 4:
        a, b = entities
        winner, loser = (a, b) if a["number"] > b["number"] else (b, a)
        named = (winner["name"], f"the {winner['name']}") if theme.article else (winner["name"],)
        return ("compare", theme.compare_question.format(A=a["name"], B=b["name"]), named, winner["name"],
                [loser["name"], *spares], winner["name"])
    spare_effects = [e for e in theme.effects if e not in (me["effect"], other["effect"])]
    return ("two_hop", theme.hop_question.format(X=x), (me["effect"],), me["effect"],
            [other["effect"], *rng.sample(spare_effects, 2)], x)


_SKILLS = {
    "product": ["fact_retrieval"], "number": ["fact_retrieval", "numeric_fact"],
    "place": ["fact_retrieval"], "reverse": ["fact_retrieval", "reverse_lookup"],
    "compare": ["comparison", "numeric_fact"], "two_hop": ["multi_hop"],
}


def generate(n: int, seed: int = 0, *, multiple_choice: bool = False) -> list[Sample]:
    """`n` questions for `seed`, five per passage (levels 1..5). Short answers accept a few
    equivalent texts (e.g. "42 grams" and "42"); the multiple-choice variant has four options."""
    check_size(n)
    samples = []
    passages: dict[int, tuple[str, _Theme, list[dict], list[str]]] = {}
    for index in range(n):
        p = index // QUESTIONS_PER_PASSAGE
        if p not in passages:
            passages[p] = _passage(item_rng(FAMILY, seed, p, stream="passage"))
        text, theme, entities, spares = passages[p]
        level = level_for(index)
        rng = item_rng(FAMILY, seed, index)
        kind, question, answers, right, wrong, about = _question(rng, level, theme, entities, spares)
        sid = sample_id("fic", index)
        metadata = {
            "family": FAMILY,
            "group": sample_id("fic-p", p),
            "difficulty": level,
            "skills": ["reading_comprehension", *_SKILLS[kind]],
            "theme": theme.noun,
            "question_kind": kind,
            "about": about,
            "entities": entities,
            "passage": text,
            "question": question,
            "answer": right,
            "variant": "mc" if multiple_choice else "gen",
        }
        prompt = f"{text}\n\n{question}"
        if multiple_choice:
            option_rng = item_rng(FAMILY, seed, index, stream="options")
            choices, target = place_correct(option_rng, right, option_rng.sample(wrong, len(wrong)))
            samples.append(Sample(sid, prompt, target, choices, metadata))
        else:
            samples.append(Sample(sid, prompt, answers, None, metadata))
    return samples
