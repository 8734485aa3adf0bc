"""FormatSpread's Thompson-sampling search for the best and the worst prompt format.

Each format is an arm whose accuracy has a Beta(1 + right, 1 + wrong) posterior. At each
step the search draws one accuracy from every arm's posterior, evaluates the arm whose draw
is highest (searching for the best) or lowest (the worst) on its next batch of unseen items,
and updates that arm. It stops when the budget of model calls (one call = one item under one
format) is spent; the answer is the arm with the best (or worst) posterior mean. Sclar et al.
split the budget between the two searches and report the interval [worst, best] found.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable, Sequence

import numpy as np

Oracle = Callable[[int, Sequence[int]], Sequence[float]]
"""score(arm, item_indices) -> 0/1 score of each item under that arm's format."""


class Direction(str, Enum):
    BEST = "best"
    WORST = "worst"


@dataclass(frozen=True)
class BanditResult:
    direction: Direction
    arm: int
    estimate: float
    """The chosen arm's observed accuracy on the items it was evaluated on."""
    calls: int
    history: tuple[tuple[int, int], ...]
    """(calls spent so far, arm chosen at that point) after every batch."""

    def calls_to_find(self, targets: set[int]) -> int | None:
        """Calls after which the choice was in `targets` and stayed there; None if never."""
        found = None
        for calls, arm in self.history:
            if arm in targets:
                found = calls if found is None else found
            else:
                found = None
        return found


def thompson_search(oracle: Oracle, n_arms: int, n_items: int, budget: int, batch_size: int = 4,
                    direction: Direction = Direction.BEST, seed: int = 0) -> BanditResult:
    """Search `n_arms` formats for the best (or worst) with at most `budget` item calls."""
    if n_arms < 1 or n_items < 1 or batch_size < 1:
        raise ValueError("need at least one arm, one item and batch_size >= 1")
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(n_items) for _ in range(n_arms)]
    seen = np.zeros(n_arms, dtype=int)
    right = np.zeros(n_arms)
    calls = 0
    history: list[tuple[int, int]] = []
    sign = 1.0 if direction is Direction.BEST else -1.0
    while calls < budget:
        open_arms = np.flatnonzero(seen < n_items)
        if open_arms.size == 0:
            break
        draws = rng.beta(1 + right[open_arms], 1 + seen[open_arms] - right[open_arms])
        arm = int(open_arms[np.argmax(sign * draws)])
        take = min(batch_size, n_items - seen[arm], budget - calls)
        items = orders[arm][seen[arm]:seen[arm] + take]
        scores = np.asarray(oracle(arm, [int(i) for i in items]), dtype=float)
        right[arm] += float(np.nansum(scores))
        seen[arm] += take
        calls += take
        history.append((calls, _choice(right, seen, sign)))
    arm = _choice(right, seen, sign)
    estimate = float(right[arm] / seen[arm]) if seen[arm] else float("nan")
    return BanditResult(direction, arm, estimate, calls, tuple(history))


def _choice(right: np.ndarray, seen: np.ndarray, sign: float) -> int:
    """The arm with the best posterior mean among those evaluated at least once."""
    mean = (1 + right) / (2 + seen)
    mean = np.where(seen > 0, sign * mean, -np.inf)
    return int(np.argmax(mean))


@dataclass(frozen=True)
class ExtremeSearch:
    """Both searches against the exhaustive answer on a full (formats x items) matrix."""

    best: BanditResult
    worst: BanditResult
    true_best: tuple[int, ...]
    true_worst: tuple[int, ...]
    true_accuracy: tuple[float, ...]
    exhaustive_calls: int

    @property
    def calls(self) -> int:
        return self.best.calls + self.worst.calls

    @property
    def interval(self) -> tuple[float, float]:
        """[worst, best] true accuracy of the arms the searches chose."""
        return (self.true_accuracy[self.worst.arm], self.true_accuracy[self.best.arm])

    @property
    def found_both(self) -> bool:
        return self.best.arm in self.true_best and self.worst.arm in self.true_worst

    def calls_to_find(self) -> int | None:
        """Calls the two searches needed before both settled on a true extreme (None: not)."""
        b = self.best.calls_to_find(set(self.true_best))
        w = self.worst.calls_to_find(set(self.true_worst))
        return None if b is None or w is None else b + w


def find_extremes(matrix: np.ndarray, budget: int, batch_size: int = 4, seed: int = 0,
                  tolerance: float = 0.0) -> ExtremeSearch:
    """Run both searches on `matrix` (formats x items, 0/1), half the budget each.

    Arms whose exhaustive accuracy is within `tolerance` of the extreme count as found (two
    formats with the same accuracy are equally good answers).
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"matrix must be (formats x items), got shape {matrix.shape}")
    n_arms, n_items = matrix.shape

    def oracle(arm: int, items: Sequence[int]) -> np.ndarray:
        return matrix[arm, list(items)]

    half = budget // 2
    best = thompson_search(oracle, n_arms, n_items, half, batch_size, Direction.BEST, seed)
    worst = thompson_search(oracle, n_arms, n_items, budget - half, batch_size, Direction.WORST, seed + 1)
    acc = np.nanmean(matrix, axis=1)
    true_best = tuple(int(i) for i in np.flatnonzero(acc >= acc.max() - tolerance - 1e-12))
    true_worst = tuple(int(i) for i in np.flatnonzero(acc <= acc.min() + tolerance + 1e-12))
    return ExtremeSearch(best, worst, true_best, true_worst, tuple(float(a) for a in acc), matrix.size)
