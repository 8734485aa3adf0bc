"""Task scaling laws for predicting a later checkpoint's or a larger model's score.

- `fit_passuntil_law`: Hu et al. 2024 (*Unlock Predictable Scaling from Emergent Abilities*)
  find that the PassUntil pass rate PU of a task follows -log PU = c * x^(-alpha) in the
  scale x (parameters, tokens or compute): a straight line of log(-log PU) against log x.
- `fit_cod_curve`: the per-cluster curve of Clustering-On-Difficulty (Xu et al. 2025,
  *Unveiling Downstream Performance Scaling of LLMs: A Clustering-Based Perspective*):
  y(x) = g + (1 - g) * exp(-a * x^(-b) - c), with g the chance score of the cluster.
- `naive_extrapolation`: the baseline every prediction is compared against: the straight
  line through the last two observed points in log x.

All functions are pure numpy/scipy over arrays of scales and scores.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np
from scipy import optimize

_TINY = 1e-12


@dataclass(frozen=True)
class PassUntilLaw:
    """-log PU = c * x^(-alpha), fitted as log(-log PU) = log c - alpha * log x."""

    c: float
    alpha: float
    r2: float
    n_points: int

    def predict(self, x: float | np.ndarray) -> np.ndarray:
        return np.exp(-self.c * np.power(np.asarray(x, float), -self.alpha))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _scales(x: Sequence[float] | np.ndarray) -> np.ndarray:
    s = np.asarray(x, float)
    if s.ndim != 1 or s.size < 2 or np.any(s <= 0):
        raise ValueError("scales must be at least two positive numbers (parameters, tokens or compute)")
    return s


def fit_passuntil_law(x: Sequence[float] | np.ndarray, pass_rate: Sequence[float] | np.ndarray) -> PassUntilLaw:
    """Least squares of log(-log PU) on log x over points with 0 < PU < 1."""
    s = _scales(x)
    pu = np.asarray(pass_rate, float)
    if pu.shape != s.shape:
        raise ValueError("one pass rate per scale")
    keep = (pu > 0) & (pu < 1)
    if keep.sum() < 2:
        raise ValueError("the PassUntil law needs at least two pass rates strictly between 0 and 1")
    lx, ly = np.log(s[keep]), np.log(-np.log(pu[keep]))
    slope, intercept = np.polyfit(lx, ly, 1)
    fitted = intercept + slope * lx
    ss = float(np.sum((ly - ly.mean()) ** 2))
    r2 = 1 - float(np.sum((ly - fitted) ** 2)) / ss if ss > 0 else 1.0
    return PassUntilLaw(float(math.exp(intercept)), float(-slope), r2, int(keep.sum()))


@dataclass(frozen=True)
class CodCurve:
    """y(x) = g + (1 - g) * exp(-a * x^(-b) - c) for one cluster of items."""

    g: float
    a: float
    b: float
    c: float
    rmse: float

    def predict(self, x: float | np.ndarray) -> np.ndarray:
        z = -self.a * np.power(np.asarray(x, float), -self.b) - self.c
        return self.g + (1 - self.g) * np.exp(np.minimum(z, 0.0))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fit_cod_curve(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, chance: float) -> CodCurve | None:
    """Fit the COD curve to one cluster's mean scores `y` at scales `x` (None when it does
    not converge). Scales are normalised by their largest value so the fit is well scaled;
    the returned curve takes raw scales."""
    s = _scales(x)
    yy = np.asarray(y, float)
    if yy.shape != s.shape:
        raise ValueError("one score per scale")
    top = float(s.max())
    u = s / top

    def model(u_: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
        return chance + (1 - chance) * np.exp(np.minimum(-a * np.power(u_, -b) - c, 0.0))

    best = None
    for b0 in (0.3, 1.0, 2.0):
        try:
            with warnings.catch_warnings():  # few points: an unestimable covariance is expected
                warnings.simplefilter("ignore", optimize.OptimizeWarning)
                p, _ = optimize.curve_fit(model, u, yy, p0=(1.0, b0, 0.1), bounds=([0, 0, 0], [1e3, 5, 50]),
                                          maxfev=4000)
        except (RuntimeError, ValueError):
            continue
        rmse = float(np.sqrt(np.mean((model(u, *p) - yy) ** 2)))
        if best is None or rmse < best[1]:
            best = (p, rmse)
    if best is None:
        return None
    (a, b, c), rmse = best
    # back to raw scales: a * (x/top)^-b = (a * top^b) * x^-b
    return CodCurve(float(chance), float(a * top ** b), float(b), float(c), rmse)


def naive_extrapolation(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, target: float) -> float:
    """The straight line through the last two points (in log x) evaluated at `target`,
    clipped to [0, 1]: what one would read off the plot by hand."""
    s = _scales(x)
    yy = np.asarray(y, float)
    order = np.argsort(s)
    s, yy = s[order], yy[order]
    lx = np.log(s[-2:])
    if lx[1] == lx[0]:
        return float(np.clip(yy[-1], 0, 1))
    slope = (yy[-1] - yy[-2]) / (lx[1] - lx[0])
    return float(np.clip(yy[-1] + slope * (math.log(target) - lx[1]), 0.0, 1.0))
