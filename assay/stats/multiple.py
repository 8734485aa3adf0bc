"""Multiple-comparison correction of m p-values (one per task or per model pair).

Testing 20 tasks at alpha = 0.05 flags one by chance on average; Holm controls the chance
of any false flag (family-wise error), Benjamini-Hochberg the expected share of false flags
among the flagged (false discovery rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from assay.stats._checks import as_vector, check_probability


class CorrectionMethod(str, Enum):
    HOLM = "holm"
    BENJAMINI_HOCHBERG = "benjamini-hochberg"


@dataclass(frozen=True)
class Correction:
    """Adjusted p-values (shape (m,), same order as given) and which hypotheses are
    rejected at `alpha` (`reject[i]` iff `adjusted[i] <= alpha`)."""

    adjusted: np.ndarray
    reject: np.ndarray
    method: CorrectionMethod
    alpha: float


def _p_values(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    p = as_vector(p_values, "p_values")
    if ((p < 0) | (p > 1)).any():
        raise ValueError("p_values must lie in [0, 1]")
    return p


def holm(p_values: Sequence[float] | np.ndarray, alpha: float = 0.05) -> Correction:
    """Holm's step-down correction of m p-values (shape (m,)): controls the family-wise
    error rate at `alpha` under any dependence (Holm 1979).

    With p sorted ascending, adjusted p_(i) = max_{j<=i} min(1, (m - j + 1) p_(j)).
    Matches `statsmodels.stats.multitest.multipletests(method="holm")`.
    """
    p = _p_values(p_values)
    alpha = check_probability(alpha, "alpha")
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(stepped)
    return Correction(adjusted, adjusted <= alpha, CorrectionMethod.HOLM, alpha)


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray, alpha: float = 0.05) -> Correction:
    """Benjamini-Hochberg step-up correction of m p-values (shape (m,)): controls the false
    discovery rate at `alpha` for independent or positively dependent tests (Benjamini &
    Hochberg 1995).

    With p sorted ascending, adjusted p_(i) = min_{j>=i} min(1, m p_(j) / j).
    Matches `multipletests(method="fdr_bh")`.
    """
    p = _p_values(p_values)
    alpha = check_probability(alpha, "alpha")
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = m * p[order] / np.arange(1, m + 1)
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return Correction(adjusted, adjusted <= alpha, CorrectionMethod.BENJAMINI_HOCHBERG, alpha)


def correct(
    p_values: Sequence[float] | np.ndarray, method: CorrectionMethod = CorrectionMethod.HOLM, alpha: float = 0.05
) -> Correction:
    """Adjust p-values by `method` (HOLM or BENJAMINI_HOCHBERG)."""
    if method is CorrectionMethod.HOLM:
        return holm(p_values, alpha)
    if method is CorrectionMethod.BENJAMINI_HOCHBERG:
        return benjamini_hochberg(p_values, alpha)
    raise ValueError(f"unknown correction method {method!r}")
