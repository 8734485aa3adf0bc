"""Reading a judge's verdict out of its text. A verdict that cannot be read is an error on
that sample (`UnreadableVerdict`), never a zero: a weak or refusing judge must show up as
failures, not as low scores.
"""

from __future__ import annotations

import re
from typing import Sequence

from assay.core.pairwise import Outcome

_PAIR = re.compile(r"\[\[\s*(A|B|C|tie)\s*\]\]", re.IGNORECASE)
_PAIR_LOOSE = re.compile(r"(?:final\s+)?verdict\s*(?:is)?\s*[:\-]?\s*(?:assistant\s+)?\(?\b(A|B|C|tie)\b",
                         re.IGNORECASE)
_RATING = re.compile(r"\[\[\s*(\d+(?:\.\d+)?)\s*\]\]")
_RATING_LOOSE = re.compile(r"\brating\s*[:=]\s*\[?\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


class UnreadableVerdict(ValueError):
    """The judge's text holds no verdict in the form asked for, or contradicting ones."""


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= 160 else text[:157] + "...")


def parse_pairwise(text: str) -> Outcome:
    """`[[A]]` → the first answer shown won, `[[B]]` → the second, `[[C]]`/`[[tie]]` → tie.
    Falls back to "verdict: A" when no bracketed verdict is present; several different
    verdicts are contradictory and unreadable."""
    found = {m.upper() for m in _PAIR.findall(text)} or {m.upper() for m in _PAIR_LOOSE.findall(text)}
    found = {"C" if f == "TIE" else f for f in found}
    if len(found) != 1:
        why = "no verdict" if not found else f"contradicting verdicts {sorted(found)}"
        raise UnreadableVerdict(f"{why} in the judge's answer {_quote(text)} (expected [[A]], [[B]] or [[C]])")
    return {"A": Outcome.FIRST, "B": Outcome.SECOND, "C": Outcome.TIE}[found.pop()]


def parse_rating(text: str, scale: int) -> float:
    """A single rating in 1..scale, from `[[n]]` (or "Rating: n")."""
    found = [float(x) for x in _RATING.findall(text)] or [float(x) for x in _RATING_LOOSE.findall(text)]
    if len(set(found)) != 1:
        why = "no rating" if not found else f"several ratings {sorted(set(found))}"
        raise UnreadableVerdict(f"{why} in the judge's answer {_quote(text)} (expected Rating: [[n]], 1 to {scale})")
    return _in_range(found[0], scale, text)


def parse_skill_ratings(text: str, skills: Sequence[str], scale: int) -> dict[str, float]:
    """FLASK-style per-skill ratings, one line each: `skill: [[n]]`. Every skill must be rated."""
    out: dict[str, float] = {}
    for skill in skills:
        m = re.search(re.escape(skill) + r"\s*[:\-]\s*\[\[\s*(\d+(?:\.\d+)?)\s*\]\]", text, re.IGNORECASE)
        if m is None:
            raise UnreadableVerdict(f"no rating for skill '{skill}' in the judge's answer {_quote(text)}")
        out[skill] = _in_range(float(m.group(1)), scale, text)
    return out


def _in_range(value: float, scale: int, text: str) -> float:
    if not 1 <= value <= scale:
        raise UnreadableVerdict(f"rating {value:g} is outside 1 to {scale} in the judge's answer {_quote(text)}")
    return value
