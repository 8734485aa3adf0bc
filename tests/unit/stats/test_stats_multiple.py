"""assay.stats.multiple: Holm and Benjamini-Hochberg against statsmodels' multipletests."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from assay.stats import CorrectionMethod, benjamini_hochberg, correct, holm

P_SETS = [
    np.array([0.01, 0.04, 0.03, 0.005, 0.2, 0.5]),
    np.array([0.02, 0.02, 0.02, 0.9]),  # ties
    np.random.default_rng(0).uniform(size=25) ** 3,
    np.array([0.3]),
]


@pytest.mark.parametrize("p", P_SETS)
@pytest.mark.parametrize(("ours", "theirs"), [(holm, "holm"), (benjamini_hochberg, "fdr_bh")])
def test_matches_multipletests(p: np.ndarray, ours, theirs: str) -> None:
    result = ours(p, alpha=0.05)
    reject, adjusted, _, _ = multipletests(p, alpha=0.05, method=theirs)
    np.testing.assert_allclose(result.adjusted, adjusted, rtol=1e-12)
    np.testing.assert_array_equal(result.reject, reject)


def test_dispatch_and_errors() -> None:
    p = P_SETS[0]
    assert correct(p, CorrectionMethod.HOLM).method is CorrectionMethod.HOLM
    bh = correct(p, CorrectionMethod.BENJAMINI_HOCHBERG)
    np.testing.assert_array_equal(bh.adjusted, benjamini_hochberg(p).adjusted)
    assert holm([]).adjusted.size == 0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm([0.2, 1.5])
    with pytest.raises(ValueError, match="NaN"):
        benjamini_hochberg([0.2, float("nan")])
    with pytest.raises(ValueError, match="alpha"):
        holm([0.2], alpha=0)


def test_holm_controls_family_wise_error_under_the_global_null() -> None:
    """20 tasks, no real difference anywhere: uncorrected, some task is flagged ~64% of the
    time (1 - 0.95^20); Holm keeps it at most ~5%."""
    rng = np.random.default_rng(5)
    p = rng.uniform(size=(2000, 20))
    uncorrected = np.mean((p < 0.05).any(axis=1))
    family_wise = np.mean([holm(row).reject.any() for row in p])
    assert uncorrected > 0.5
    assert family_wise <= 0.06, family_wise
