"""Difficulty prediction from item text (issue 13): features a ridge can use, held-out
correlation on items whose difficulty follows their text."""

from __future__ import annotations

import numpy as np
import pytest

from assay.analyses.difficulty import DifficultyPredictor, cross_validate, text_features


def _items(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    digits = rng.integers(1, 7, n)
    steps = rng.integers(1, 4, n)
    texts = [" + ".join(str(rng.integers(10 ** (d - 1), 10**d)) for _ in range(s + 1)) + " = ?"
             for d, s in zip(digits, steps)]
    b = 0.6 * digits + 0.8 * steps - 3 + rng.normal(0, 0.3, n)  # harder with more digits and steps
    return texts, b


def test_held_out_correlation_is_high_when_text_predicts_difficulty() -> None:
    texts, b = _items(120, 0)
    check, pred = cross_validate(texts, b, folds=5)
    assert check.pearson > 0.7 and check.ci_low < check.pearson < check.ci_high and check.spearman > 0.7
    assert pred.shape == b.shape


def test_no_signal_gives_no_correlation() -> None:
    texts, _ = _items(120, 1)
    noise = np.random.default_rng(5).normal(size=120)
    check, _ = cross_validate(texts, noise, folds=5)
    assert check.ci_low < 0.3


def test_features_are_stable_across_processes_and_fit_is_required() -> None:
    a = text_features(["What is 12 + 7?"])
    assert a.shape[1] > 500 and np.array_equal(a, text_features(["What is 12 + 7?"]))
    with pytest.raises(RuntimeError, match="not fitted"):
        DifficultyPredictor().predict(["x"])
