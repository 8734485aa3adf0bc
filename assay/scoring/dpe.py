"""Differential Performance Evaluation: the efficiency level a solution's cost matches.

Liu et al. ("Evaluating Language Models for Efficient Code Generation", DPE/EvalPerf)
profile reference solutions of distinct efficiency levels on a performance-exercising
input, and score a new correct solution by the level it matches: the share of reference
levels it is at least as efficient as. Pure arithmetic on measured costs; the profiling
lives in `assay.scoring.efficiency`.

Matching: with reference costs c_1 > c_2 > ... > c_L (slowest level first), level i owns
the costs between the geometric midpoints to its neighbours, (sqrt(c_i c_{i+1}),
sqrt(c_{i-1} c_i)]; level 1 extends up to `slack` x c_1, and anything slower than that
matches no level (score 0). The score is level / L, so the slowest reference scores 1/L
and the fastest 1 (EvalPerf's cluster-normalised DPS with one reference per level).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

DEFAULT_SLACK = 2.0


@dataclass(frozen=True)
class LevelMatch:
    """`level` in 0..L (0: slower than every reference) and `score` = level / L."""

    level: int
    levels: int
    score: float
    label: str


def check_levels(costs: Sequence[float]) -> None:
    if not costs:
        raise ValueError("DPE needs at least one reference level")
    if any(not (c > 0 and math.isfinite(c)) for c in costs):
        raise ValueError(f"reference costs must be positive and finite, got {list(costs)}")
    if any(a <= b for a, b in zip(costs, costs[1:])):
        raise ValueError(f"reference costs must fall strictly from the slowest level to the fastest, got {list(costs)}")


def match_level(cost: float, level_costs: Sequence[float], labels: Sequence[str] | None = None,
                slack: float = DEFAULT_SLACK) -> LevelMatch:
    """The level `cost` matches among `level_costs` (slowest first)."""
    check_levels(level_costs)
    names = list(labels) if labels is not None else [f"level {i + 1}" for i in range(len(level_costs))]
    count = len(level_costs)
    if not math.isfinite(cost) or cost > slack * level_costs[0]:
        return LevelMatch(0, count, 0.0, "slower than every reference")
    level = 1
    for i in range(1, count):
        if cost <= math.sqrt(level_costs[i - 1] * level_costs[i]):
            level = i + 1
    return LevelMatch(level, count, level / count, names[level - 1])


def separation(level_costs: Sequence[float]) -> float:
    """The smallest ratio between adjacent levels' costs: how clearly the input separates them."""
    check_levels(level_costs)
    if len(level_costs) < 2:
        return math.inf
    return min(a / b for a, b in zip(level_costs, level_costs[1:]))
