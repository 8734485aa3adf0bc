"""Randomized versions: UGMathBench's effective accuracy (EAcc) and reasoning gap (Delta).

Each problem comes in v randomized versions. EAcc is the share of problems solved in *all*
versions; AAcc is the mean of the per-version accuracies; Delta = AAcc - EAcc is how much of
the average accuracy is luck of the draw rather than a robust solution (0 for a model that
solves a problem either in every version or in none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class VersionReport:
    n_items: int
    versions: int
    per_version: tuple[float, ...]
    average_accuracy: float
    effective_accuracy: float

    @property
    def reasoning_gap(self) -> float:
        return self.average_accuracy - self.effective_accuracy

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "reasoning_gap": self.reasoning_gap}


def version_metrics(matrix: np.ndarray | Sequence[Sequence[float]]) -> VersionReport:
    """From an (items x versions) 0/1 matrix."""
    arr = np.asarray(matrix, dtype=float)
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"need an (items x versions) matrix, got shape {arr.shape}")
    per_version = arr.mean(axis=0)
    return VersionReport(
        n_items=arr.shape[0], versions=arr.shape[1], per_version=tuple(float(x) for x in per_version),
        average_accuracy=float(per_version.mean()), effective_accuracy=float(np.all(arr == 1, axis=1).mean()),
    )


def version_matrix(per_version: Sequence[Mapping[str, float]]) -> tuple[list[str], np.ndarray]:
    """Align `[{item key: score} per version]` on the keys every version scored."""
    keys = sorted(set.intersection(*(set(k for k, v in m.items() if v == v) for m in per_version)))
    return keys, np.array([[m[k] for m in per_version] for k in keys], dtype=float)
