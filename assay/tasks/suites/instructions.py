"""Instruction-following prompts whose compliance a program can verify (IFEval-style).

Each item asks for a short piece of writing under 1..5 constraints (the level is the
number of constraints): word-count bounds, keywords to include or avoid, letter case,
an exact number of bullet points or paragraphs, a given start or end phrase, a JSON object
with given keys, no commas, a quoted answer, a title in <<double angle brackets>>.
Constraints that could contradict each other are never combined (lowercase with uppercase,
JSON with bullet points, ...). The checks go into `metadata["checks"]` as
`{"type": ..., **params}` for `assay.scoring.instructions`; there is no reference answer,
so `target` is the empty string.
"""

from __future__ import annotations

import random

from assay.core.sample import Sample
from assay.tasks.suites._common import check_size, item_rng, join_names, level_for, sample_id

VERSION = "1"
"""Bump whenever generation changes: the same seed must always yield the same items."""

FAMILY = "instructions"

_FORMS = ("short story about", "poem about", "short note about", "description of", "letter to a friend about",
          "blog post about")
_TOPICS = ("the sea", "a rainy day", "your favourite food", "a trip to the mountains", "learning to cook",
           "a city at night", "an old bicycle", "a garden in spring", "the moon", "a busy market")
_KEYWORDS = ("river", "light", "window", "quiet", "bread", "music", "paper", "stone", "morning", "garden",
             "bridge", "candle")
_BANNED = ("very", "really", "nice", "good", "thing", "great", "just", "also")  # disjoint from every phrase
_END_PHRASES = ("Is there anything else I can help with?", "That is all.", "Thank you for reading.", "See you soon.")
_START_PHRASES = ("Yes", "Dear friend", "Once upon a time", "Here is my answer")
_JSON_KEYS = (("title", "summary"), ("name", "reason"), ("place", "season", "feeling"))

_TYPES = ("min_words", "max_words", "include_keywords", "exclude_word", "keyword_frequency", "lowercase",
          "uppercase", "bullet_points", "paragraphs", "end_with", "start_with", "json_keys", "no_commas",
          "quotation", "title")
_CONFLICTS = {frozenset(p) for p in (
    ("lowercase", "uppercase"), ("min_words", "max_words"), ("bullet_points", "paragraphs"),
    ("bullet_points", "quotation"), ("quotation", "start_with"), ("quotation", "end_with"), ("quotation", "title"),
    ("title", "start_with"), ("title", "paragraphs"),
)}
_WITH_JSON = {"include_keywords", "exclude_word", "keyword_frequency"}  # a JSON object tolerates only these

_SKILL = {
    "min_words": "length", "max_words": "length", "include_keywords": "keywords", "exclude_word": "keywords",
    "keyword_frequency": "keywords", "lowercase": "case", "uppercase": "case", "bullet_points": "format",
    "paragraphs": "format", "json_keys": "format", "quotation": "format", "title": "format",
    "end_with": "start_end", "start_with": "start_end", "no_commas": "punctuation",
}


def _compatible(kind: str, chosen: list[str]) -> bool:
    for other in chosen:
        if frozenset((kind, other)) in _CONFLICTS:
            return False
        if "json_keys" in (kind, other) and ({kind, other} - {"json_keys"}) - _WITH_JSON:
            return False
    return True


def _pick_types(rng: random.Random, k: int) -> list[str]:
    while True:  # retry the rare draw that paints itself into a corner (JSON first, then k >= 4)
        chosen: list[str] = []
        for kind in rng.sample(_TYPES, len(_TYPES)):
            if len(chosen) < k and _compatible(kind, chosen):
                chosen.append(kind)
        if len(chosen) == k:
            return chosen


def _quoted(words: list[str]) -> str:
    return join_names([f'"{w}"' for w in words])


def _instruction(rng: random.Random, kind: str, keywords: list[str]) -> tuple[dict, str]:
    """One check spec and the sentence that asks for it. `keywords` holds words already
    required, so two keyword checks never pick the same word."""
    if kind in ("min_words", "max_words"):
        n = rng.choice((20, 30, 40, 50)) if kind == "min_words" else rng.choice((40, 50, 60, 80))
        text = (rng.choice((f"Write at least {n} words.", f"Your answer must be at least {n} words long."))
                if kind == "min_words" else
                rng.choice((f"Use at most {n} words.", f"Keep your answer to {n} words or fewer.")))
        return {"type": kind, "n": n}, text
    if kind == "include_keywords":
        words = rng.sample([w for w in _KEYWORDS if w not in keywords], rng.choice((1, 2)))
        keywords.extend(words)
        plural = "s" if len(words) > 1 else ""
        return {"type": kind, "keywords": words}, rng.choice((f"Include the word{plural} {_quoted(words)}.",
                                                             f"Make sure you use the word{plural} {_quoted(words)}."))
    if kind == "keyword_frequency":
        word, n = rng.choice([w for w in _KEYWORDS if w not in keywords]), rng.choice((2, 3))
        keywords.append(word)
        return {"type": kind, "word": word, "n": n}, f'Use the word "{word}" at least {n} times.'
    if kind == "exclude_word":
        word = rng.choice(_BANNED)
        return {"type": kind, "word": word}, rng.choice((f'Do not use the word "{word}".',
                                                         f'Never use the word "{word}" in your answer.'))
    if kind in ("bullet_points", "paragraphs"):
        n = rng.randint(2, 5) if kind == "bullet_points" else rng.randint(2, 4)
        text = (f'Answer with exactly {n} bullet points, each on its own line starting with "* ".'
                if kind == "bullet_points" else f"Write exactly {n} paragraphs, separated by a blank line.")
        return {"type": kind, "n": n}, text
    if kind in ("end_with", "start_with"):
        phrase = rng.choice(_END_PHRASES if kind == "end_with" else _START_PHRASES)
        text = (rng.choice((f'End your answer with the exact phrase "{phrase}"',
                            f'Finish with the words "{phrase}" and write nothing after them'))
                if kind == "end_with" else f'Begin your answer with "{phrase}"')
        return {"type": kind, "phrase": phrase}, text + "."
    if kind == "json_keys":
        keys = list(rng.choice(_JSON_KEYS))
        return {"type": kind, "keys": keys}, f"Answer only with a JSON object that has the keys {_quoted(keys)}."
    fixed = {
        "lowercase": ("Write your whole answer in lowercase letters, with no capital letters.",
                      "Use only lowercase letters."),
        "uppercase": ("Write your whole answer in capital letters.", "Use only CAPITAL LETTERS."),
        "no_commas": ("Do not use any commas.", "Your answer must not contain a single comma."),
        "quotation": ("Wrap your entire answer in double quotation marks.",),
        "title": ("Give your answer a title wrapped in double angle brackets, like <<My Title>>.",),
    }
    return {"type": kind}, rng.choice(fixed[kind])


def generate(n: int, seed: int = 0) -> list[Sample]:
    """`n` prompts for `seed`; item i carries `level_for(i)` verifiable constraints."""
    check_size(n)
    samples = []
    for index in range(n):
        rng = item_rng(FAMILY, seed, index)
        level = level_for(index)
        kinds = _pick_types(rng, level)
        keywords: list[str] = []
        specs, sentences = zip(*(_instruction(rng, kind, keywords) for kind in kinds))
        topic = rng.choice(_TOPICS)
        task = (f"Write about {topic}." if "json_keys" in kinds
                else f"Write a {rng.choice(_FORMS)} {topic}.")
        sid = sample_id("instr", index)
        metadata = {
            "family": FAMILY,
            "group": sid,
            "difficulty": level,
            "skills": ["instruction_following", *sorted({_SKILL[k] for k in kinds})],
            "checks": list(specs),
            "instructions": list(sentences),
            "topic": topic,
        }
        samples.append(Sample(sid, " ".join([task, *sentences]), "", None, metadata))
    return samples
