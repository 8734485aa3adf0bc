"""`Battle`: one pairwise verdict — two answers to the same item, shown in a known order,
and which one the judge (or a human voter) preferred.

Position is kept, not only the winner: swapping the order of the same two answers is how
position bias is measured, and the flips between the two orders are the judge's own noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Mapping


class Outcome(str, Enum):
    """What the verdict said, by position: the first answer shown won, the second did, a tie,
    or both were bad (a human-arena vote; counted as a tie in ratings)."""

    FIRST = "first"
    SECOND = "second"
    TIE = "tie"
    BOTH_BAD = "both_bad"


@dataclass(frozen=True)
class Battle:
    """One verdict on answers from `first` and `second` (model names, in the order shown) to
    item `item`. `judge` names who decided ("human" for a vote); `len_first`/`len_second`
    are the answers' lengths in characters (for length-bias audits)."""

    item: str
    first: str
    second: str
    outcome: Outcome
    judge: str = ""
    len_first: int | None = None
    len_second: int | None = None
    category: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def winner(self) -> str | None:
        """The winning model's name, or None for a tie / both bad."""
        if self.outcome is Outcome.FIRST:
            return self.first
        if self.outcome is Outcome.SECOND:
            return self.second
        return None

    def score_of(self, model: str) -> float:
        """1 for a win of `model`, 0 for a loss, 0.5 for a tie or both bad."""
        if model not in (self.first, self.second):
            raise ValueError(f"{model!r} is not in this battle ({self.first!r} vs {self.second!r})")
        winner = self.winner
        return 0.5 if winner is None else float(winner == model)

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item, "first": self.first, "second": self.second, "outcome": self.outcome.value,
                "judge": self.judge, "len_first": self.len_first, "len_second": self.len_second,
                "category": self.category, "metadata": dict(self.metadata)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Battle":
        return cls(item=str(data["item"]), first=str(data["first"]), second=str(data["second"]),
                   outcome=Outcome(data["outcome"]), judge=str(data.get("judge", "")),
                   len_first=data.get("len_first"), len_second=data.get("len_second"),
                   category=str(data.get("category", "") or ""), metadata=dict(data.get("metadata") or {}))
