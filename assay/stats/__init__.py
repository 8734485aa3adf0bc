"""Statistics over per-item scores: intervals, paired tests, corrections, power, aggregates.

Pure functions over numpy arrays; imports nothing of assay but `assay.core`.

- `intervals`: Wilson / Clopper-Pearson, t, clustered (CR1) and bootstrap intervals.
- `paired`: two models on the same items: paired CI, permutation, bootstrap-t, McNemar.
- `multiple`: Holm and Benjamini-Hochberg corrections.
- `power`: minimum detectable difference and required n.
- `aggregates`: IQM, stratified bootstrap, performance profiles, probability of improvement.
- `variance`: item vs run variance of repeated runs.
- `summary`: `summarize` (one metric) and `compare_paired` (two models), the entry points.
"""

from assay.stats.aggregates import (
    PerformanceProfile,
    ProfileKind,
    aggregate_mean,
    aggregate_median,
    iqm,
    optimality_gap,
    performance_profile,
    probability_of_improvement,
    probability_of_improvement_ci,
    profile_fractions,
    stratified_bootstrap_ci,
)
from assay.stats.intervals import (
    BootstrapMethod,
    Interval,
    IntervalMethod,
    bootstrap_ci,
    clopper_pearson,
    cluster_robust_stderr,
    clustered_mean_ci,
    mean_ci,
    proportion_ci,
    wilson,
)
from assay.stats.multiple import (
    Correction,
    CorrectionMethod,
    benjamini_hochberg,
    correct,
    holm,
)
from assay.stats.paired import (
    PairedComparison,
    PairedTest,
    PairedTestResult,
    mcnemar_exact,
    paired_bootstrap_test,
    paired_difference_ci,
    paired_permutation_test,
)
from assay.stats.power import (
    Design,
    minimum_detectable_difference,
    minimum_detectable_difference_binomial,
    minimum_detectable_difference_from_stderr,
    power_of_test,
    required_n,
    required_n_binomial,
)
from assay.stats.summary import compare_paired, summarize
from assay.stats.variance import VarianceDecomposition, decompose_variance

__all__ = [
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
]
