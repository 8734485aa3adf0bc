"""Detection statistics: AUROC against the Mann-Whitney U reference, TPR@FPR, calibration."""

from __future__ import annotations

import numpy as np
import scipy.stats as sps

from assay.stats.detection import auroc, calibrate_on_clean, detection_report, tpr_at_fpr


def test_auroc_equals_mann_whitney_u_over_n1_n0():
    rng = np.random.default_rng(1)
    a, b = rng.normal(1, 1, 40), rng.normal(0, 1, 55)
    u = sps.mannwhitneyu(a, b).statistic
    assert abs(auroc(a, b) - u / (a.size * b.size)) < 1e-12


def test_tpr_at_fpr_and_threshold():
    members = np.array([5.0, 6, 7, 8, 0.5])
    nonmembers = np.arange(20, dtype=float) / 10  # 0.0 .. 1.9
    tpr, thr, fpr = tpr_at_fpr(members, nonmembers, 0.05)
    assert tpr == 0.8 and fpr <= 0.05 and 1.9 < thr <= 5.0
    assert tpr_at_fpr(members, nonmembers, 0.75)[0] == 1.0  # 15 of 20 non-members reach 0.5


def test_detection_report_intervals_cover_and_separate():
    rng = np.random.default_rng(2)
    r = detection_report("s", rng.normal(2, 1, 60), rng.normal(0, 1, 60), n_resamples=500)
    assert r.auroc.low < r.auroc.estimate < r.auroc.high and r.auroc.low > 0.8
    assert r.tpr.low <= r.tpr.estimate <= r.tpr.high and r.fpr.estimate <= 0.05
    null = detection_report("null", rng.normal(0, 1, 60), rng.normal(0, 1, 60), n_resamples=500)
    assert null.auroc.low < 0.5 < null.auroc.high


def test_calibration_fpr_is_measured_on_held_out_clean_items():
    rng = np.random.default_rng(3)
    cal = calibrate_on_clean(rng.normal(0, 1, 400), 0.05)
    assert 0.02 < cal.fpr.estimate < 0.09 and cal.fpr.low < 0.05 < cal.fpr.high
    fresh = rng.normal(0, 1, 4000)
    assert abs((fresh >= cal.threshold).mean() - 0.05) < 0.025


def test_vectorised_resample_statistics_match_scikit_learn():
    from assay.stats.detection import _auroc_axis, _tpr_axis

    rng = np.random.default_rng(4)
    for _ in range(20):
        a, b = rng.integers(0, 8, 15).astype(float), rng.integers(0, 6, 21).astype(float)  # ties on purpose
        assert abs(_auroc_axis(a, b) - auroc(a, b)) < 1e-12
        for f in (0.0, 0.05, 0.2):
            assert _tpr_axis(a, b, f) == tpr_at_fpr(a, b, f)[0]
