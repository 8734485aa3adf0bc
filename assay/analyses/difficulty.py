"""Predict item difficulty from item text, so new items need no calibration runs.

Plain text features (hashed word and word-pair counts, length, how many numbers and how many
digits the longest has, operator and sentence counts) and a ridge regression onto the fitted
IRT difficulties b (*Reliable and Efficient Amortized Model-based Evaluation* amortizes
calibration the same way, with model embeddings as features). Cross-validated correlation
with the fitted difficulties says how far to trust it.

Ridge is its closed form, a few lines of numpy: scikit-learn is not a dependency of assay
and one linear solve does not justify it.
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy import stats as sps

from assay.core.sample import Sample

_WORD = re.compile(r"[a-z]+|\d+|[^\sa-z\d]", re.I)
N_HASH = 512


def item_text(sample: Sample) -> str:
    """What a model reads of an item: the question and, for multiple choice, the options."""
    text = sample.input if isinstance(sample.input, str) else " ".join(m.content for m in sample.input)
    if sample.choices:
        text += " " + " | ".join(sample.choices)
    return text


def text_features(texts: Sequence[str]) -> np.ndarray:
    """`(n_texts x (N_HASH + 6))`: log counts of hashed words and word pairs, then shape features."""
    out = np.zeros((len(texts), N_HASH + 6))
    for i, text in enumerate(texts):
        tokens = [t.lower() for t in _WORD.findall(text)]
        grams = tokens + [a + " " + b for a, b in zip(tokens, tokens[1:])]
        for g in grams:
            out[i, zlib.crc32(g.encode()) % N_HASH] += 1.0
        numbers = re.findall(r"\d+", text)
        out[i, N_HASH:] = [math.log1p(len(text)), len(numbers), max((len(n) for n in numbers), default=0),
                           sum(text.count(c) for c in "+-*/×÷="), text.count(".") + text.count("?"),
                           math.log1p(len(tokens))]
    out[:, :N_HASH] = np.log1p(out[:, :N_HASH])
    return out


@dataclass
class DifficultyPredictor:
    """Ridge regression of difficulty on text features (scikit-learn style: `fit` learns
    attributes ending in `_` and returns self)."""

    alpha: float = 3.0

    def fit(self, texts: Sequence[str], difficulty: np.ndarray) -> "DifficultyPredictor":
        x = text_features(texts)
        y = np.asarray(difficulty, float)
        if x.shape[0] != y.shape[0] or x.shape[0] < 3:
            raise ValueError("need at least 3 items, one difficulty per text")
        self.mean_ = x.mean(axis=0)
        self.scale_ = x.std(axis=0) + 1e-9
        z = (x - self.mean_) / self.scale_
        self.intercept_ = float(y.mean())
        self.coef_ = np.linalg.solve(z.T @ z + self.alpha * np.eye(z.shape[1]), z.T @ (y - self.intercept_))
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        if not hasattr(self, "coef_"):
            raise RuntimeError("DifficultyPredictor is not fitted; call fit first")
        z = (text_features(texts) - self.mean_) / self.scale_
        return self.intercept_ + z @ self.coef_


@dataclass(frozen=True)
class HeldOutCorrelation:
    """Cross-validated agreement of predicted with fitted difficulties."""

    pearson: float
    ci_low: float
    ci_high: float
    spearman: float
    n_items: int
    folds: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def cross_validate(texts: Sequence[str], difficulty: np.ndarray, *, folds: int = 5, alpha: float = 3.0,
                   seed: int = 0) -> tuple[HeldOutCorrelation, np.ndarray]:
    """K-fold held-out predictions and their Pearson (Fisher-z 95% interval) and Spearman
    correlations with the fitted difficulties."""
    y = np.asarray(difficulty, float)
    n = y.size
    folds = max(2, min(folds, n))
    order = np.random.default_rng(seed).permutation(n)
    pred = np.empty(n)
    for f in range(folds):
        test = order[f::folds]
        train = np.setdiff1d(order, test)
        model = DifficultyPredictor(alpha).fit([texts[i] for i in train], y[train])
        pred[test] = model.predict([texts[i] for i in test])
    r = float(np.corrcoef(pred, y)[0, 1]) if np.std(pred) > 0 else 0.0
    z, se = math.atanh(max(min(r, 0.999999), -0.999999)), 1 / math.sqrt(max(n - 3, 1))
    rho = float(sps.spearmanr(pred, y).statistic)
    return HeldOutCorrelation(r, math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se), rho, n, folds), pred
