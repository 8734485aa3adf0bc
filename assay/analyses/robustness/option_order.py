"""Multiple-choice option order: accuracy under permuted options, and position bias.

A model that understands the question answers the same whatever the option order. Cyclic
shifts move the right answer through every position once (k permutations for k options);
random permutations sample the rest. Position bias compares how often the model picks each
position with how often that position holds the right answer (the base rate).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np

from assay.core.sample import Sample


def cyclic_permutations(k: int) -> list[tuple[int, ...]]:
    """The k cyclic shifts of k options; shift s puts old option (i + s) mod k at position i."""
    return [tuple((i + s) % k for i in range(k)) for s in range(k)]


def random_permutations(k: int, count: int, seed: int = 0) -> list[tuple[int, ...]]:
    """`count` random permutations of k options (identity possible), reproducible from seed."""
    rng = np.random.default_rng(seed)
    return [tuple(int(i) for i in rng.permutation(k)) for _ in range(count)]


def permute_sample(sample: Sample, perm: Sequence[int]) -> Sample:
    """`sample` with its options in order `perm` (new position i shows old option perm[i]);
    the target follows its option."""
    if sample.choices is None or not isinstance(sample.target, int):
        raise ValueError(f"sample {sample.id}: option order needs choices and an integer target")
    if sorted(perm) != list(range(len(sample.choices))):
        raise ValueError(f"sample {sample.id}: {perm} is not a permutation of {len(sample.choices)} options")
    choices = tuple(sample.choices[j] for j in perm)
    return replace(sample, choices=choices, target=list(perm).index(sample.target))


@dataclass(frozen=True)
class OrderReport:
    """Accuracy per permutation name, and position picks vs base rates (over all runs)."""

    accuracy: dict[str, float]
    pick_rate: tuple[float, ...]
    base_rate: tuple[float, ...]

    @property
    def bias(self) -> tuple[float, ...]:
        """pick rate minus base rate per position (positive: the model favours it)."""
        return tuple(p - b for p, b in zip(self.pick_rate, self.base_rate))

    @property
    def total_variation(self) -> float:
        """Half the L1 distance between the pick and base distributions (0 = no bias)."""
        return 0.5 * float(sum(abs(x) for x in self.bias))

    @property
    def spread(self) -> float:
        values = list(self.accuracy.values())
        return max(values) - min(values) if values else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"accuracy": self.accuracy, "pick_rate": self.pick_rate, "base_rate": self.base_rate,
                "bias": self.bias, "total_variation": self.total_variation, "spread": self.spread}


def position_bias(chosen: Sequence[int], targets: Sequence[int], n_options: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(pick rate, base rate) per position from the chosen and right option indices."""
    chosen_arr, target_arr = np.asarray(chosen, dtype=int), np.asarray(targets, dtype=int)
    if chosen_arr.shape != target_arr.shape or chosen_arr.size == 0:
        raise ValueError("chosen and targets must be equally long and non-empty")
    picks = np.bincount(chosen_arr, minlength=n_options) / chosen_arr.size
    base = np.bincount(target_arr, minlength=n_options) / target_arr.size
    return tuple(float(x) for x in picks), tuple(float(x) for x in base)


def order_report(runs: dict[str, tuple[Sequence[int], Sequence[int]]], n_options: int) -> OrderReport:
    """From `{permutation name: (chosen indices, target indices)}` of one task."""
    accuracy = {name: float(np.mean(np.asarray(c) == np.asarray(t))) for name, (c, t) in runs.items()}
    chosen = [x for c, _ in runs.values() for x in c]
    targets = [x for _, t in runs.values() for x in t]
    picks, base = position_bias(chosen, targets, n_options)
    return OrderReport(accuracy, picks, base)
