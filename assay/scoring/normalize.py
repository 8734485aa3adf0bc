"""Answer normalisation shared by the text scorers: SQuAD-style, plus answer-span cutting.

SQuAD's official script (Rajpurkar et al., 2016) compares answers after lower-casing,
dropping punctuation, dropping the articles "a", "an", "the" and collapsing whitespace;
`normalize_answer` does exactly that, in that order, so exact-match and F1 numbers are
comparable with published ones.
"""

from __future__ import annotations

import re
import string
import unicodedata

_ARTICLES = re.compile(r"\b(a|an|the)\b")
# "Answer:", "Final answer:", "The answer is", "The final answer is:" — a colon or "is" is
# required, so an answer that merely starts with the word ("Answer the phone") is kept.
_ANSWER_PREFIX = re.compile(
    r"^\s*(?:the\s+)?(?:final\s+)?answer\s*(?:[:：]|is\b\s*[:：]?)\s*", re.IGNORECASE
)
_PUNCTUATION = set(string.punctuation)


def _is_punctuation(char: str) -> bool:
    # Unicode punctuation too ("—", "“", "。"), not just ASCII's.
    return char in _PUNCTUATION or unicodedata.category(char).startswith("P")


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation, drop articles a/an/the, collapse whitespace (SQuAD)."""
    text = text.lower()
    text = "".join(ch for ch in text if not _is_punctuation(ch))
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def answer_tokens(text: str) -> list[str]:
    """The whitespace tokens of the normalised answer (what token F1 counts)."""
    return normalize_answer(text).split()


def answer_span(text: str) -> str:
    """The part of a generation that states the answer: a leading "Answer:" (or "Final
    answer:") removed, then the first non-empty line, stripped.

    Models often restate the label they were prompted with, and keep talking after the
    answer; both would fail an exact match that the answer itself passes.
    """
    text = _ANSWER_PREFIX.sub("", text.strip(), count=1)
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""
