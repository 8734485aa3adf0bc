"""Self-consistency: the same prompt sampled m times at temperature > 0 (DefAn's consistency).

DefAn presents the same question several times and counts how often the answers agree; a
model that hallucinates tends to answer differently each time. Per item, agreement is the
share of the m answers equal to the most common one; the task reports its mean, the share of
items answered identically every time, and the accuracy of the majority answer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Hashable, Sequence

import numpy as np


@dataclass(frozen=True)
class ConsistencyReport:
    n_items: int
    m: int
    agreement: float
    """Mean over items of (count of the modal answer) / m."""
    fully_consistent: float
    """Share of items whose m answers are all the same."""
    majority_accuracy: float
    """Accuracy of each item's most common answer (ties: the answer seen first)."""
    mean_accuracy: float
    """Accuracy over all m x items answers."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def consistency(answers: Sequence[Sequence[Hashable]], correct: Sequence[Sequence[float]]) -> ConsistencyReport:
    """From (items x m) extracted answers and their (items x m) 0/1 correctness."""
    if len(answers) == 0 or len(answers) != len(correct):
        raise ValueError("answers and correct must have the same, non-zero number of items")
    m = len(answers[0])
    agreement, full, majority = [], [], []
    for item_answers, item_correct in zip(answers, correct):
        if len(item_answers) != m or len(item_correct) != m:
            raise ValueError("every item needs the same number m of answers and scores")
        counts = Counter(item_answers)
        top = max(counts.values())
        mode = next(a for a in item_answers if counts[a] == top)
        agreement.append(top / m)
        full.append(float(top == m))
        majority.append(float(item_correct[list(item_answers).index(mode)]))
    return ConsistencyReport(
        n_items=len(answers), m=m, agreement=float(np.mean(agreement)),
        fully_consistent=float(np.mean(full)), majority_accuracy=float(np.mean(majority)),
        mean_accuracy=float(np.mean(np.asarray(correct, dtype=float))),
    )
