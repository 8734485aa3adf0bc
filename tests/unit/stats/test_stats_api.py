"""The public surface of assay.stats is pinned, so it changes only on purpose. (That it imports
nothing of assay but core is an import-linter contract: tests/unit/test_architecture.py.)"""

from __future__ import annotations

import assay.stats

EXPORTED = {
    "BootstrapMethod", "Correction", "CorrectionMethod", "Design", "Interval", "IntervalMethod",
    "PairedComparison", "PairedTest", "PairedTestResult", "PerformanceProfile", "ProfileKind",
    "VarianceDecomposition", "aggregate_mean", "aggregate_median", "benjamini_hochberg",
    "bootstrap_ci", "clopper_pearson", "cluster_robust_stderr", "clustered_mean_ci",
    "compare_paired", "correct", "decompose_variance", "holm", "iqm", "mcnemar_exact",
    "mean_ci", "minimum_detectable_difference", "minimum_detectable_difference_binomial",
    "minimum_detectable_difference_from_stderr", "optimality_gap", "paired_bootstrap_test",
    "paired_difference_ci", "paired_permutation_test", "performance_profile", "power_of_test",
    "probability_of_improvement", "probability_of_improvement_ci", "profile_fractions",
    "proportion_ci", "required_n", "required_n_binomial", "stratified_bootstrap_ci",
    "summarize", "wilson",
}


def test_exported_names_are_pinned() -> None:
    assert set(assay.stats.__all__) == EXPORTED
    assert all(hasattr(assay.stats, name) for name in EXPORTED)

