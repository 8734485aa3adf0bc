"""Power analysis: the smallest difference n items can detect, and the n a difference needs.

All tests are two-sided at level `alpha`. "Detect" means the test rejects with probability
`power` (0.8 by convention, Cohen 1988) when the true difference is that large.
"""

from __future__ import annotations

import math
from enum import Enum

from scipy import optimize
from scipy import stats as sps

from assay.stats._checks import check_probability


class Design(str, Enum):
    """PAIRED: both models on the same n items, `variance` is that of the per-item
    differences. UNPAIRED: each model on its own n items, `variance` is that of one item's
    score (assumed equal for both)."""

    PAIRED = "paired"
    UNPAIRED = "unpaired"


def power_of_test(noncentrality: float, df: float | None = None, alpha: float = 0.05) -> float:
    """Power of a two-sided t test (df given) or z test (df None) whose statistic has
    noncentrality `noncentrality` = true difference / its stderr. Counts both rejection
    tails, as statsmodels' `TTestPower` / `NormalIndPower` do."""
    alpha = check_probability(alpha, "alpha")
    if df is None:
        crit = float(sps.norm.isf(alpha / 2))
        return float(sps.norm.sf(crit - noncentrality) + sps.norm.cdf(-crit - noncentrality))
    crit = float(sps.t.isf(alpha / 2, df))
    # P(T < -crit) computed as P(T' > crit) with T' ~ nct(-noncentrality): scipy's nct.cdf
    # returns NaN far in the tail where this form returns the (negligible) value.
    upper = float(sps.nct.sf(crit, df, noncentrality))
    lower = float(sps.nct.sf(crit, df, -noncentrality))
    return (0.0 if math.isnan(upper) else upper) + (0.0 if math.isnan(lower) else lower)


def _noncentrality_for_power(df: float | None, alpha: float, power: float) -> float:
    """The noncentrality at which a two-sided test reaches `power`."""
    power = check_probability(power, "power")
    if power <= alpha:
        raise ValueError(f"power ({power}) must exceed alpha ({alpha}): any test rejects alpha of the time")
    hi = 1.0
    while power_of_test(hi, df, alpha) < power:
        hi *= 2
    return float(optimize.brentq(lambda lam: power_of_test(lam, df, alpha) - power, 0.0, hi, xtol=1e-12))


def minimum_detectable_difference_from_stderr(
    stderr: float, df: float | None = None, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest true difference a two-sided test detects with probability `power`, given the
    stderr of the estimated difference (a t test with `df` degrees of freedom, or z when
    None). Use it for clustered designs: pass the cluster-robust stderr and df = G - 1."""
    if not stderr >= 0:
        raise ValueError(f"stderr must be a non-negative number, got {stderr}")
    alpha = check_probability(alpha, "alpha")
    return _noncentrality_for_power(df, alpha, power) * stderr


def _stderr_and_df(n: int, variance: float, design: Design) -> tuple[float, float]:
    if variance < 0:
        raise ValueError(f"variance must be non-negative, got {variance}")
    if design is Design.PAIRED:
        return math.sqrt(variance / n), n - 1
    if design is Design.UNPAIRED:
        return math.sqrt(2 * variance / n), 2 * n - 2
    raise ValueError(f"unknown design {design!r}")


def minimum_detectable_difference(
    n: int, variance: float, design: Design = Design.PAIRED, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Minimum detectable difference (MDD) of a t test on n items with the observed `variance`.

    PAIRED: one-sample t on n differences, stderr sqrt(var/n), n-1 dof (agrees with
    statsmodels `TTestPower`). UNPAIRED: two-sample t with n items per model, stderr
    sqrt(2 var/n), 2n-2 dof (agrees with `TTestIndPower`). Exact, from the noncentral t;
    roughly (z_{1-alpha/2} + z_{power}) * stderr = 2.8 * stderr at the defaults. NaN for n < 2.
    """
    if n < 2:
        return math.nan
    se, df = _stderr_and_df(n, variance, design)
    return minimum_detectable_difference_from_stderr(se, df, alpha, power)


def _smallest_n(power_at, target: float, n_min: int = 2) -> int:
    """Smallest integer n >= n_min with power_at(n) >= target (power increases with n)."""
    if power_at(n_min) >= target:
        return n_min
    hi = n_min * 2
    while power_at(hi) < target:
        hi *= 2
        if hi > 10**12:
            raise ValueError("the difference is too small to detect with any feasible n")
    lo = hi // 2  # power_at(lo) < target <= power_at(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if power_at(mid) < target else (lo, mid)
    return hi


def required_n(
    difference: float, variance: float, design: Design = Design.PAIRED, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Items needed (per model, for UNPAIRED) for a two-sided t test at `alpha` to detect a
    true `difference` with probability `power`, given the observed `variance` (see
    `minimum_detectable_difference` for the design). The ceiling of statsmodels'
    `TTestPower` / `TTestIndPower` `solve_power(nobs=None)`."""
    if difference == 0:
        raise ValueError("difference must be non-zero")
    alpha, power = check_probability(alpha, "alpha"), check_probability(power, "power")
    if variance == 0:
        return 2

    def power_at(n: int) -> float:
        se, df = _stderr_and_df(n, variance, design)
        return power_of_test(abs(difference) / se, df, alpha)

    return _smallest_n(power_at, power)


def _arcsine(p: float) -> float:
    return 2 * math.asin(math.sqrt(p))


def minimum_detectable_difference_binomial(n: int, p: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """MDD between two accuracies, each measured on its own n items, at baseline accuracy `p`.

    Uses Cohen's arcsine effect size h = 2 asin sqrt(p2) - 2 asin sqrt(p1) with the
    normal test (Cohen 1988, ch. 6; agrees with statsmodels `NormalIndPower`, ratio 1):
    the returned d makes h(p + d, p) detectable. If p + d would pass 1, the downward
    difference p - p2 is returned instead. For two models on the same items use
    `minimum_detectable_difference(n, var(a - b))`: pairing usually needs far fewer items.
    """
    if n < 1:
        return math.nan
    if not 0 <= p <= 1:
        raise ValueError(f"p must lie in [0, 1], got {p}")
    alpha = check_probability(alpha, "alpha")
    h = _noncentrality_for_power(None, alpha, power) / math.sqrt(n / 2)
    base = _arcsine(p)
    if base + h <= math.pi:
        return math.sin((base + h) / 2) ** 2 - p
    if base - h >= 0:
        return p - math.sin((base - h) / 2) ** 2
    return math.nan


def required_n_binomial(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Items per model to tell accuracy `p1` from `p2` when each model gets its own items
    (arcsine effect size, normal test; the ceiling of `NormalIndPower.solve_power`)."""
    if not (0 <= p1 <= 1 and 0 <= p2 <= 1):
        raise ValueError(f"p1 and p2 must lie in [0, 1], got {p1} and {p2}")
    h = abs(_arcsine(p1) - _arcsine(p2))
    if h == 0:
        raise ValueError("p1 and p2 are equal: no n detects a zero difference")
    alpha, power = check_probability(alpha, "alpha"), check_probability(power, "power")
    return _smallest_n(lambda n: power_of_test(h * math.sqrt(n / 2), None, alpha), power, n_min=1)
