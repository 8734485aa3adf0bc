"""How well a score separates members from non-members, with intervals: AUROC, the true
positive rate at a fixed false-positive rate (and its threshold), and a threshold calibrated
on known-clean items whose false-positive rate is measured on clean items it did not see.

Convention: a higher score means "more likely seen in training". `members` and `nonmembers`
are shape (n1,) and (n0,); they are resampled separately (a stratified bootstrap), as the
two sets are drawn separately.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import scipy.stats as sps

from assay.stats._checks import RandomState, as_generator, as_vector, check_confidence
from assay.stats.intervals import Interval, IntervalMethod, wilson


def _labelled(members: np.ndarray, nonmembers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.r_[np.ones(members.size), np.zeros(nonmembers.size)]
    return y, np.r_[members, nonmembers]


def auroc(members: Sequence[float] | np.ndarray, nonmembers: Sequence[float] | np.ndarray) -> float:
    """Area under the ROC curve: P(a member outscores a non-member), ties counted half."""
    y, s = _labelled(as_vector(members, "members"), as_vector(nonmembers, "nonmembers"))
    from sklearn.metrics import roc_auc_score  # imported here: sklearn adds ~0.7 s to every `assay` start

    return float(roc_auc_score(y, s))


def tpr_at_fpr(members: Sequence[float] | np.ndarray, nonmembers: Sequence[float] | np.ndarray,
               fpr: float = 0.05) -> tuple[float, float, float]:
    """(TPR, threshold, achieved FPR): the most members flagged by `score >= threshold`
    while at most `fpr` of non-members are (the ROC point the membership-inference
    literature reports as TPR@5%FPR)."""
    y, s = _labelled(as_vector(members, "members"), as_vector(nonmembers, "nonmembers"))
    from sklearn.metrics import roc_curve

    f, t, thr = roc_curve(y, s, drop_intermediate=False)
    ok = np.flatnonzero(f <= fpr + 1e-12)
    best = ok[np.argmax(t[ok])]
    return float(t[best]), float(thr[best]), float(f[best])


@dataclass(frozen=True)
class DetectionReport:
    """A detector's separation of members from non-members: AUROC and TPR at `target_fpr`
    with bootstrap intervals, the threshold that achieves it and the FPR it achieves."""

    name: str
    auroc: Interval
    tpr: Interval
    threshold: float
    fpr: Interval
    target_fpr: float
    n_members: int
    n_nonmembers: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "auroc": self.auroc.estimate, "auroc_low": self.auroc.low,
                "auroc_high": self.auroc.high, "tpr": self.tpr.estimate, "tpr_low": self.tpr.low,
                "tpr_high": self.tpr.high, "threshold": self.threshold, "fpr": self.fpr.estimate,
                "fpr_low": self.fpr.low, "fpr_high": self.fpr.high, "target_fpr": self.target_fpr,
                "n_members": self.n_members, "n_nonmembers": self.n_nonmembers}


def _auroc_axis(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    # The Mann-Whitney form of the AUROC, vectorised over resamples (scikit-learn's
    # roc_auc_score takes one sample at a time; a test checks the two agree).
    ranks = sps.rankdata(np.concatenate([a, b], axis=axis), axis=axis)
    n1, n0 = a.shape[axis], b.shape[axis]
    return (np.take(ranks, np.arange(n1), axis=axis).sum(axis=axis) - n1 * (n1 + 1) / 2) / (n1 * n0)


def _tpr_axis(a: np.ndarray, b: np.ndarray, fpr: float, axis: int = -1) -> np.ndarray:
    # Members strictly above the (k+1)-th largest non-member, k = floor(fpr * n0): the same
    # ROC point as `tpr_at_fpr`, vectorised over resamples.
    k = int(math.floor(fpr * b.shape[axis] + 1e-9))
    if k >= b.shape[axis]:
        return np.ones(np.delete(a.shape, axis))
    cut = np.take(np.sort(b, axis=axis), b.shape[axis] - 1 - k, axis=axis)
    return (a > np.expand_dims(cut, axis)).mean(axis=axis)


def _two_sample_bootstrap(statistic: Any, a: np.ndarray, b: np.ndarray, confidence: float, n_resamples: int,
                          rng: RandomState) -> tuple[float, float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sps.DegenerateDataWarning)
        res = sps.bootstrap((a, b), statistic, n_resamples=n_resamples, confidence_level=confidence,
                            method="percentile", vectorized=True, paired=False, rng=as_generator(rng))
    return float(res.confidence_interval.low), float(res.confidence_interval.high), float(res.standard_error)


def detection_report(name: str, members: Sequence[float] | np.ndarray, nonmembers: Sequence[float] | np.ndarray,
                     target_fpr: float = 0.05, confidence: float = 0.95, n_resamples: int = 2000,
                     rng: RandomState = 0) -> DetectionReport:
    """AUROC and TPR@`target_fpr` of one score, each with a stratified percentile bootstrap
    interval, and the achieved FPR with its Wilson interval over the non-members. NaN scores
    (failed items) are dropped."""
    a = as_vector(members, "members")
    b = as_vector(nonmembers, "nonmembers")
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    confidence = check_confidence(confidence)
    if a.size < 2 or b.size < 2:
        raise ValueError(f"{name}: need at least 2 members and 2 non-members, got {a.size} and {b.size}")
    area = auroc(a, b)
    tpr, threshold, fpr = tpr_at_fpr(a, b, target_fpr)
    lo, hi, se = _two_sample_bootstrap(_auroc_axis, a, b, confidence, n_resamples, rng)
    auc_iv = Interval(lo, hi, area, se, IntervalMethod.BOOTSTRAP_PERCENTILE, confidence, a.size + b.size)
    lo, hi, se = _two_sample_bootstrap(lambda x, y, axis=-1: _tpr_axis(x, y, target_fpr, axis), a, b,
                                       confidence, n_resamples, rng)
    tpr_iv = Interval(lo, hi, tpr, se, IntervalMethod.BOOTSTRAP_PERCENTILE, confidence, a.size + b.size)
    fpr_iv = wilson(int(round(fpr * b.size)), b.size, confidence)
    return DetectionReport(name, auc_iv, tpr_iv, threshold, fpr_iv, target_fpr, int(a.size), int(b.size))


@dataclass(frozen=True)
class CleanCalibration:
    """A flagging threshold from known-clean scores and its false-positive rate measured on
    clean items that did not set it (two-fold cross-fitting), with a Wilson interval."""

    threshold: float
    target_fpr: float
    fpr: Interval
    n_clean: int

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "target_fpr": self.target_fpr, "fpr": self.fpr.estimate,
                "fpr_low": self.fpr.low, "fpr_high": self.fpr.high, "n_clean": self.n_clean}


def _upper_threshold(clean: np.ndarray, target_fpr: float) -> float:
    # The smallest observed value that at most target_fpr of clean scores reach or exceed.
    ordered = np.sort(clean)[::-1]
    allowed = int(math.floor(target_fpr * clean.size))
    return float(np.nextafter(ordered[allowed], np.inf)) if allowed < clean.size else -math.inf


def calibrate_on_clean(clean: Sequence[float] | np.ndarray, target_fpr: float = 0.05, confidence: float = 0.95,
                       rng: RandomState = 0) -> CleanCalibration:
    """The threshold (flag when score >= it) set on all clean scores, and its FPR measured
    honestly: each random half's threshold is applied to the other half, and the false
    positives of both halves are pooled."""
    x = as_vector(clean, "clean")
    x = x[np.isfinite(x)]
    if x.size < 4:
        raise ValueError(f"need at least 4 known-clean scores to calibrate, got {x.size}")
    order = as_generator(rng).permutation(x.size)
    halves = (x[order[: x.size // 2]], x[order[x.size // 2:]])
    false_pos = sum(int((halves[1 - i] >= _upper_threshold(halves[i], target_fpr)).sum()) for i in (0, 1))
    return CleanCalibration(_upper_threshold(x, target_fpr), target_fpr, wilson(false_pos, x.size, confidence),
                            int(x.size))
