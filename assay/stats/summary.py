"""The two entry points the engine and CLI call: `summarize` one metric, `compare_paired` two models.

Both take raw per-item scores where NaN marks a failed sample, pick the right method from
the data (binary or not, clustered or not), and return one record with its uncertainty.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np

from assay.core.results import MetricSummary
from assay.stats._checks import (
    RandomState,
    as_vector,
    check_confidence,
    cluster_codes,
    is_missing,
    same_length,
)
from assay.stats.intervals import IntervalMethod, clustered_mean_ci, mean_ci, wilson
from assay.stats.paired import (
    PairedComparison,
    PairedTest,
    mcnemar_exact,
    paired_permutation_test,
)
from assay.stats.power import (
    Design,
    minimum_detectable_difference,
    minimum_detectable_difference_from_stderr,
)

Clusters = Sequence[Hashable | None] | np.ndarray


def _kept_clusters(clusters: Clusters | None, keep: np.ndarray) -> list[Hashable | None] | None:
    if clusters is None:
        return None
    labels = list(clusters)
    if len(labels) != keep.size:
        raise ValueError(f"clusters must give one id per value: {len(labels)} ids for {keep.size} values")
    return [label for label, k in zip(labels, keep, strict=True) if k]


def _clustering_applies(labels: list[Hashable | None] | None, n: int) -> bool:
    """Cluster only when it changes something: at least 2 named clusters, and fewer clusters
    than items (items without an id count as clusters of one)."""
    if labels is None or n == 0:
        return False
    named = {label for label in labels if not is_missing(label)}
    return len(named) >= 2 and cluster_codes(labels, n)[1] < n


def _is_binary(x: np.ndarray) -> bool:
    return x.size > 0 and bool(np.isin(x, (0.0, 1.0)).all())


def summarize(
    name: str,
    values: Sequence[float] | np.ndarray,
    clusters: Sequence[str | None] | None = None,
    confidence: float = 0.95,
) -> MetricSummary:
    """One metric's mean over a task's items with its stderr and interval.

    `values`: shape (n,), one score per item, NaN for a failed sample (excluded, counted
    in `n_failed`). `clusters`: optional group id per item (None = no group). The method:
    - clustered ("clustered"): when at least 2 distinct named clusters and fewer clusters
      than items remain: CR1 cluster-robust stderr, t with G-1 dof, clipped to [0, 1] for
      0/1 scores or to the observed [min, max] otherwise (see `clustered_mean_ci`);
    - Wilson ("wilson"): all scores 0/1; stderr sqrt(p(1-p)/n) (see `wilson`);
    - t ("t"): otherwise; stderr sd/sqrt(n), NaN interval for n = 1.
    With no valid values, value and interval are NaN (method "none").
    """
    raw = as_vector(values, "values", allow_nan=True)
    confidence = check_confidence(confidence)
    keep = ~np.isnan(raw)
    x, n_failed = raw[keep], int(raw.size - keep.sum())
    labels = _kept_clusters(clusters, keep)
    n = x.size
    if n == 0:
        return MetricSummary(name, math.nan, 0, math.nan, math.nan, math.nan, IntervalMethod.NONE.value, n_failed)
    binary = _is_binary(x)
    if labels is not None and _clustering_applies(labels, n):
        bounds = (0.0, 1.0) if binary else (float(x.min()), float(x.max()))
        iv = clustered_mean_ci(x, labels, confidence, bounds)
    elif binary:
        iv = wilson(int(x.sum()), n, confidence)
    else:
        iv = mean_ci(x, confidence, IntervalMethod.T)
    return MetricSummary(name, iv.estimate, n, iv.stderr, iv.low, iv.high, iv.method.value, n_failed)


def _unit_interval(x: np.ndarray) -> bool:
    return bool(x.size) and bool(np.all((x >= 0.0) & (x <= 1.0)))


def compare_paired(
    name: str,
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    clusters: Clusters | None = None,
    binary: bool | None = None,
    confidence: float = 0.95,
    power: float = 0.8,
    n_resamples: int = 9999,
    rng: RandomState = 0,
) -> PairedComparison:
    """Model A minus model B on the same items: mean difference, paired interval, p-value,
    and the minimum detectable difference (MDD) at alpha = 1 - confidence and `power`.

    `a`, `b`: shape (n,), item i's score under each model; a pair with a NaN on either side
    is dropped and counted in `n_failed`. `binary` (default: detected from the data)
    chooses McNemar's exact test; otherwise a paired sign-flip permutation test. The
    interval is the paired t interval on the differences. With clusters (same rule as
    `summarize`), both interval and test work per cluster (clustered CI, cluster sign
    flips) since McNemar and the item-level tests assume independent items.
    `resolvable` is True when the observed |diff| reaches the MDD: these items can
    reliably tell apart differences this large.
    """
    x, y = as_vector(a, "a", allow_nan=True), as_vector(b, "b", allow_nan=True)
    same_length(x, y)
    confidence = check_confidence(confidence)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y, n_failed = x[keep], y[keep], int(keep.size - keep.sum())
    labels = _kept_clusters(clusters, keep)
    n = x.size
    is_binary = _is_binary(x) and _is_binary(y)
    if binary is None:
        binary = is_binary
    elif binary and n and not is_binary:
        raise ValueError(f"{name}: binary=True but the scores are not all 0/1")
    if n == 0:
        test = PairedTest.MCNEMAR_EXACT if binary else PairedTest.PERMUTATION
        return PairedComparison(math.nan, math.nan, math.nan, math.nan, 0, test, name=name,
                                confidence=confidence, n_failed=n_failed)
    d = x - y
    alpha = 1.0 - confidence
    if labels is not None and _clustering_applies(labels, n):
        ci = clustered_mean_ci(d, labels, confidence)
        result = paired_permutation_test(x, y, labels, n_resamples, rng)
        n_clusters = cluster_codes(labels, n)[1]
        mdd = minimum_detectable_difference_from_stderr(ci.stderr, n_clusters - 1, alpha, power)
    else:
        ci = mean_ci(d, confidence, IntervalMethod.T)
        result = mcnemar_exact(x, y) if binary else paired_permutation_test(x, y, None, n_resamples, rng)
        var = float(np.var(d, ddof=1)) if n > 1 else math.nan
        mdd = minimum_detectable_difference(n, var, Design.PAIRED, alpha, power) if n > 1 else math.nan
    diff = float(d.mean())
    resolvable = bool(math.isfinite(mdd) and diff != 0 and abs(diff) >= mdd)
    low, high = ci.low, ci.high
    if _unit_interval(x) and _unit_interval(y):
        # Scores in [0, 1] differ by at most 1 either way; the t interval ignores that bound
        # and can leave it at a handful of items, which reads as a gap over 100 points.
        low, high = max(low, -1.0), min(high, 1.0)
    return PairedComparison(
        diff=diff, ci_low=low, ci_high=high, p_value=result.p_value, n=n, test=result.test,
        name=name, stderr=ci.stderr, confidence=confidence, ci_method=ci.method,
        minimum_detectable_difference=mdd, resolvable=resolvable, n_failed=n_failed,
    )
