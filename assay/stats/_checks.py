"""Input checks shared by the stats modules: array shapes, confidence levels, seeds, cluster ids."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np

RandomState = np.random.Generator | int


def as_vector(values: Sequence[float] | np.ndarray, name: str = "values", *, allow_nan: bool = False) -> np.ndarray:
    """`values` as a 1-D float array; a ValueError names the argument when it is not one."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one score per item), got shape {arr.shape}")
    if not allow_nan and np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN; drop failed samples first (summarize() does this for you)")
    return arr


def as_matrix(scores: Sequence[Sequence[float]] | np.ndarray, name: str = "scores") -> np.ndarray:
    """`scores` as a 2-D float array without NaN."""
    arr = np.asarray(scores, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN; every cell needs a score")
    return arr


def same_length(a: np.ndarray, b: np.ndarray, names: str = "a and b") -> None:
    if a.shape != b.shape:
        raise ValueError(f"{names} must have the same shape (paired by item), got {a.shape} and {b.shape}")


def check_confidence(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
    return float(confidence)


def check_probability(value: float, name: str) -> float:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")
    return float(value)


def as_generator(rng: RandomState) -> np.random.Generator:
    """An explicit Generator from a seed or a Generator (never the global state)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy.random.Generator or an int seed, got {type(rng).__name__}")


def is_missing(label: object) -> bool:
    """A cluster id that means "no group": None, or NaN as pandas writes a missing value."""
    return label is None or (isinstance(label, float) and math.isnan(label))


def cluster_codes(clusters: Sequence[Hashable | None] | np.ndarray, n: int) -> tuple[np.ndarray, int]:
    """Integer codes 0..G-1 for cluster ids, and G. `None` means "in no group": each such
    item is a cluster of its own, which is what independence means for a sandwich estimator."""
    labels = list(clusters)
    if len(labels) != n:
        raise ValueError(f"clusters must give one id per value: {len(labels)} ids for {n} values")
    index: dict[Hashable, int] = {}
    codes = np.empty(n, dtype=np.int64)
    for i, label in enumerate(labels):
        key: Hashable = ("__singleton__", i) if is_missing(label) else label
        codes[i] = index.setdefault(key, len(index))
    return codes, len(index)
