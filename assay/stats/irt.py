"""Item response theory: fit 1PL/2PL/3PL item parameters to a rows x items response matrix.

`responses` is always `(n_rows x n_items)`: 1 = correct, 0 = wrong, NaN = not asked. A row is a
model (or a model in one prompt format); an item is a benchmark question. The item response
function is the logistic one without the 1.7 scaling constant (as girth and py-irt use):

    P_j(theta) = c_j + (1 - c_j) / (1 + exp(-a_j (theta - b_j)))

Fitting is marginal maximum likelihood by EM over a fixed quadrature grid (Bock & Aitkin 1981)
with the latent ability N(0, 1), which fixes the scale. Weak priors (Bayes modal estimation, as
BILOG does) keep an item that every calibration row solved, or none did, at a finite
difficulty instead of running off to infinity; `priors=IRTPriors.none()` switches them off.
Standard errors come from Louis's (1982) observed information, item by item.

Hand-written because no maintained PyPI package fits these models with missing responses,
priors and standard errors through a small numpy API (girth has no SEs nor missing cells
in 2PL/3PL MML; py-irt is variational and needs pyro): the tests check this fit against girth
on complete simulated data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np
from scipy import optimize
from scipy.special import expit, logsumexp

from assay.stats._checks import RandomState, as_generator

_EPS = 1e-9


class IRTModel(str, Enum):
    """Which item response model: the value is what the CLI and calibration files use."""

    ONE_PL = "1pl"  # one discrimination shared by every item, a difficulty per item
    TWO_PL = "2pl"  # a discrimination and a difficulty per item
    THREE_PL = "3pl"  # plus a lower asymptote (guessing) per item


@dataclass(frozen=True)
class IRTPriors:
    """Weak priors of Bayes modal estimation: log a ~ N(0, sd_log_a), b ~ N(0, sd_b),
    c ~ Beta(c_alpha, c_beta). `None` for an SD switches that prior off."""

    sd_log_a: float | None = 1.0
    sd_b: float | None = 3.0
    c_alpha: float = 2.0
    c_beta: float = 18.0

    @classmethod
    def none(cls) -> "IRTPriors":
        return cls(sd_log_a=None, sd_b=None, c_alpha=1.0, c_beta=1.0)


@dataclass(frozen=True)
class Quadrature:
    """The ability grid the marginal likelihood integrates over, with N(0, 1) weights."""

    nodes: np.ndarray
    log_weights: np.ndarray

    @classmethod
    def normal(cls, n_points: int = 41, bound: float = 5.0) -> "Quadrature":
        nodes = np.linspace(-bound, bound, n_points)
        logw = -0.5 * nodes**2
        return cls(nodes=nodes, log_weights=logw - logsumexp(logw))


@dataclass(frozen=True)
class ItemParameters:
    """Fitted item parameters (arrays of length n_items) and their standard errors."""

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    se_a: np.ndarray = field(default_factory=lambda: np.empty(0))
    se_b: np.ndarray = field(default_factory=lambda: np.empty(0))
    se_c: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def n_items(self) -> int:
        return int(self.a.shape[0])

    def subset(self, idx: np.ndarray) -> "ItemParameters":
        pick = (lambda v: v[idx] if v.size else v)
        return ItemParameters(*(pick(v) for v in (self.a, self.b, self.c, self.se_a, self.se_b, self.se_c)))


def item_response(params: ItemParameters, theta: np.ndarray) -> np.ndarray:
    """P(correct), shape `(n_items x len(theta))`."""
    z = params.a[:, None] * (np.asarray(theta, float)[None, :] - params.b[:, None])
    return params.c[:, None] + (1.0 - params.c[:, None]) * expit(z)


def item_information(params: ItemParameters, theta: np.ndarray) -> np.ndarray:
    """Fisher information of each item at each ability, `(n_items x len(theta))` (Birnbaum 1968)."""
    p = np.clip(item_response(params, theta), _EPS, 1 - _EPS)
    c = params.c[:, None]
    return params.a[:, None] ** 2 * ((p - c) / (1 - c)) ** 2 * (1 - p) / p


def test_information(params: ItemParameters, theta: np.ndarray) -> np.ndarray:
    """The test information curve: the sum of the items' information at each ability."""
    return item_information(params, theta).sum(axis=0)


test_information.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def check_responses(responses: np.ndarray) -> np.ndarray:
    """The matrix as floats, after checking it is 2-D and holds only 0, 1 and NaN."""
    y = np.asarray(responses, dtype=float)
    if y.ndim != 2:
        raise ValueError(f"responses must be (n_rows x n_items), got shape {y.shape}")
    seen = y[~np.isnan(y)]
    if not np.isin(seen, (0.0, 1.0)).all():
        raise ValueError("responses must be 1, 0 or NaN (missing)")
    if y.shape[0] < 2:
        raise ValueError("at least 2 rows are needed to calibrate items")
    return y


def row_log_likelihood(params: ItemParameters, responses: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """log P(row's responses | theta) at each node, `(n_rows x n_nodes)`; missing cells add 0."""
    y = np.asarray(responses, float)
    seen = ~np.isnan(y)
    y0 = np.where(seen, y, 0.0)
    p = np.clip(item_response(params, nodes), _EPS, 1 - _EPS)
    return y0 @ np.log(p) + (seen & (y0 == 0)).astype(float) @ np.log1p(-p)


@dataclass
class _Packing:
    """Maps item parameters to one unconstrained vector for the optimiser (log a, b, logit c)."""

    model: IRTModel
    n_items: int

    def pack(self, p: ItemParameters) -> np.ndarray:
        la = np.log(p.a)
        if self.model is IRTModel.ONE_PL:
            return np.concatenate([[la.mean()], p.b])
        parts = [la, p.b]
        if self.model is IRTModel.THREE_PL:
            parts.append(np.log(p.c / (1 - p.c)))
        return np.concatenate(parts)

    def unpack(self, x: np.ndarray) -> ItemParameters:
        j = self.n_items
        if self.model is IRTModel.ONE_PL:
            return ItemParameters(np.full(j, np.exp(x[0])), x[1:], np.zeros(j))
        c = expit(x[2 * j:]) if self.model is IRTModel.THREE_PL else np.zeros(j)
        return ItemParameters(np.exp(x[:j]), x[j:2 * j], c)


def _m_step_objective(x, pack: _Packing, r, n, nodes, priors: IRTPriors):
    """Minus the expected complete-data log posterior of all items, and its gradient."""
    prm = pack.unpack(x)
    a, b, c = prm.a[:, None], prm.b[:, None], prm.c[:, None]
    s = expit(a * (nodes[None, :] - b))
    p = np.clip(c + (1 - c) * s, _EPS, 1 - _EPS)
    ll = np.sum(r * np.log(p) + (n - r) * np.log1p(-p))
    g = (r - n * p) / (p * (1 - p))  # d ll / d p
    ds = s * (1 - s)
    d_la = np.sum(g * (1 - c) * ds * (nodes[None, :] - b), axis=1) * prm.a
    d_b = np.sum(g * (1 - c) * ds * -a, axis=1)
    lp, d_lp_la, d_lp_b = 0.0, np.zeros_like(d_la), np.zeros_like(d_b)
    la = np.log(prm.a)
    if priors.sd_log_a is not None:
        lp -= np.sum(la**2) / (2 * priors.sd_log_a**2) if pack.model is not IRTModel.ONE_PL else la[0] ** 2 / (2 * priors.sd_log_a**2)
        d_lp_la = -la / priors.sd_log_a**2
    if priors.sd_b is not None:
        lp -= np.sum(prm.b**2) / (2 * priors.sd_b**2)
        d_lp_b = -prm.b / priors.sd_b**2
    if pack.model is IRTModel.ONE_PL:
        grad = np.concatenate([[d_la.sum() + d_lp_la[0]], d_b + d_lp_b])
    else:
        parts = [d_la + d_lp_la, d_b + d_lp_b]
        if pack.model is IRTModel.THREE_PL:
            cc = prm.c
            lp += np.sum((priors.c_alpha - 1) * np.log(cc) + (priors.c_beta - 1) * np.log1p(-cc))
            d_lc = np.sum(g * (1 - s), axis=1) * cc * (1 - cc)
            d_lc += (priors.c_alpha - 1) * (1 - cc) - (priors.c_beta - 1) * cc
            parts.append(d_lc)
        grad = np.concatenate(parts)
    return -(ll + lp), -grad


def _item_objective(u: np.ndarray, three: bool, r: np.ndarray, n: np.ndarray, nodes: np.ndarray,
                    priors: IRTPriors, value_only: bool = False) -> tuple[np.ndarray, ...]:
    """Each item's expected complete-data log posterior at (log a, b, logit c), with its
    gradient and Fisher information in those coordinates."""
    a, b = np.exp(u[:, 0]), u[:, 1]
    c = expit(u[:, 2]) if three else np.zeros_like(a)
    s = expit(a[:, None] * (nodes[None, :] - b[:, None]))
    p = np.clip(c[:, None] + (1 - c[:, None]) * s, _EPS, 1 - _EPS)
    q = np.sum(r * np.log(p) + (n - r) * np.log1p(-p), axis=1)
    if value_only:
        if priors.sd_log_a is not None:
            q -= u[:, 0] ** 2 / (2 * priors.sd_log_a**2)
        if priors.sd_b is not None:
            q -= b**2 / (2 * priors.sd_b**2)
        if three:
            q += (priors.c_alpha - 1) * np.log(c) + (priors.c_beta - 1) * np.log1p(-c)
        return (q,)
    ds = (1 - c[:, None]) * s * (1 - s)
    d = [ds * (nodes[None, :] - b[:, None]) * a[:, None], -ds * a[:, None]]  # dP/dlog a, dP/db
    if three:
        d.append((1 - s) * (c * (1 - c))[:, None])  # dP/dlogit c
    dd = np.stack(d, axis=-1)
    g = (((r - n * p) / (p * (1 - p)))[..., None] * dd).sum(axis=1)
    wdd = (n / (p * (1 - p)))[..., None] * dd
    info = (wdd[..., :, None] * dd[..., None, :]).sum(axis=1)
    if priors.sd_log_a is not None:
        q -= u[:, 0] ** 2 / (2 * priors.sd_log_a**2)
        g[:, 0] -= u[:, 0] / priors.sd_log_a**2
        info[:, 0, 0] += 1 / priors.sd_log_a**2
    if priors.sd_b is not None:
        q -= b**2 / (2 * priors.sd_b**2)
        g[:, 1] -= b / priors.sd_b**2
        info[:, 1, 1] += 1 / priors.sd_b**2
    if three:
        q += (priors.c_alpha - 1) * np.log(c) + (priors.c_beta - 1) * np.log1p(-c)
        g[:, 2] += (priors.c_alpha - 1) * (1 - c) - (priors.c_beta - 1) * c
        info[:, 2, 2] += (priors.c_alpha + priors.c_beta - 2) * c * (1 - c) + 1e-3
    return q, g, info


def _fisher_scoring_step(prm: ItemParameters, model: IRTModel, r: np.ndarray, n: np.ndarray,
                         nodes: np.ndarray, priors: IRTPriors, n_steps: int = 2) -> ItemParameters:
    """The M-step for 2PL/3PL: items are separable, so every item takes a few Fisher-scoring
    steps at once in (log a, b, logit c), each halved until the item's objective does not
    fall (a plain Newton step can cycle on an item few rows solved)."""
    three = model is IRTModel.THREE_PL
    u = np.stack([np.log(prm.a), prm.b] + ([np.log(prm.c / (1 - prm.c))] if three else []), axis=1)
    for _ in range(n_steps):
        q, g, info = _item_objective(u, three, r, n, nodes, priors)
        info += 1e-6 * np.eye(u.shape[1])
        delta = np.linalg.solve(info, g[..., None])[..., 0]
        delta /= np.maximum(1.0, np.abs(delta).max(axis=1, keepdims=True))
        todo = np.ones(len(u), bool)
        for _halving in range(8):
            trial = np.clip(u + delta, -30, 30)
            q_new = _item_objective(trial, three, r, n, nodes, priors, value_only=True)[0]
            ok = q_new >= q - 1e-10
            u = np.where((todo & ok)[:, None], trial, u)
            todo &= ~ok
            if not todo.any():
                break
            delta = np.where(todo[:, None], delta / 2, 0.0)
    return ItemParameters(np.exp(u[:, 0]), u[:, 1], expit(u[:, 2]) if three else np.zeros(len(u)))


@dataclass(frozen=True)
class IRTFit:
    """The result of `fit_irt`: item parameters, the abilities of the calibration rows (EAP),
    and how the fit went."""

    model: IRTModel
    params: ItemParameters
    theta: np.ndarray
    theta_se: np.ndarray
    log_likelihood: float
    n_iter: int
    converged: bool
    quadrature: Quadrature
    priors: IRTPriors


def _initial_parameters(y: np.ndarray, model: IRTModel) -> ItemParameters:
    """Start values from each item's proportion correct (a rough probit inversion)."""
    p = np.clip(np.nanmean(np.where(np.isnan(y), np.nan, y), axis=0), 0.02, 0.98)
    p = np.where(np.isnan(p), 0.5, p)
    j = y.shape[1]
    b = -np.log(p / (1 - p)) / 1.0
    c = np.full(j, 0.1) if model is IRTModel.THREE_PL else np.zeros(j)
    return ItemParameters(np.ones(j), b, c)


def fit_irt(
    responses: np.ndarray,
    model: IRTModel | str = IRTModel.TWO_PL,
    *,
    priors: IRTPriors | None = None,
    quadrature: Quadrature | None = None,
    max_iter: int = 500,
    tol: float = 1e-3,
    start: ItemParameters | None = None,
    standard_errors: bool = True,
) -> IRTFit:
    """Calibrate items by marginal maximum likelihood (EM over quadrature).

    `responses` is `(n_rows x n_items)` of 1/0/NaN. Stops when no parameter moves more than
    `tol` between EM cycles. `start` warm-starts the EM (the bootstrap uses the full fit).
    """
    y = check_responses(responses)
    model = IRTModel(model)
    priors = priors or IRTPriors()
    quad = quadrature or Quadrature.normal()
    pack = _Packing(model, y.shape[1])
    x = pack.pack(start if start is not None else _initial_parameters(y, model))
    seen = ~np.isnan(y)
    y0 = np.where(seen, y, 0.0)
    converged, it, loglik = False, 0, -np.inf
    for it in range(1, max_iter + 1):
        previous = loglik
        prm = pack.unpack(x)
        logpost = row_log_likelihood(prm, y, quad.nodes) + quad.log_weights[None, :]
        norm = logsumexp(logpost, axis=1, keepdims=True)
        loglik = float(norm.sum())
        w = np.exp(logpost - norm)  # posterior over nodes, per row
        r, n = y0.T @ w, seen.T.astype(float) @ w  # expected correct / asked, per item and node
        if model is IRTModel.ONE_PL:
            res = optimize.minimize(_m_step_objective, x, args=(pack, r, n, quad.nodes, priors), jac=True,
                                    method="L-BFGS-B", options={"maxiter": 10})
            new_x = res.x
        else:
            new_x = pack.pack(_fisher_scoring_step(pack.unpack(x), model, r, n, quad.nodes, priors))
        step = np.max(np.abs(new_x - x))
        x = np.clip(new_x, -30, 30)
        # EM crawls on items with extreme parameters: stop too when the likelihood is flat
        if step < tol or abs(loglik - previous) < 1e-7 * abs(loglik):
            converged = True
            break
    params = pack.unpack(x)
    logpost = row_log_likelihood(params, y, quad.nodes) + quad.log_weights[None, :]
    w = np.exp(logpost - logsumexp(logpost, axis=1, keepdims=True))
    theta = w @ quad.nodes
    theta_se = np.sqrt(np.maximum(w @ quad.nodes**2 - theta**2, 0.0))
    if standard_errors:
        params = replace(params, **_louis_standard_errors(params, model, y, w, quad.nodes, priors))
    return IRTFit(model, params, theta, theta_se, loglik, it, converged, quad, priors)


def _louis_standard_errors(params: ItemParameters, model: IRTModel, y: np.ndarray, w: np.ndarray,
                           nodes: np.ndarray, priors: IRTPriors) -> dict[str, np.ndarray]:
    """Item-by-item observed information (Louis 1982): complete-data information minus the
    posterior variance of the complete-data score, plus the priors' curvature."""
    a, b, c = params.a[:, None], params.b[:, None], params.c[:, None]
    s = expit(a * (nodes[None, :] - b))
    p = np.clip(c + (1 - c) * s, _EPS, 1 - _EPS)
    ds = s * (1 - s)
    derivs = [(1 - c) * ds * (nodes[None, :] - b), (1 - c) * ds * -a]  # dP/da, dP/db
    if model is IRTModel.THREE_PL:
        derivs.append(1 - s)  # dP/dc
    d = np.stack(derivs, axis=-1)  # (J, Q, k)
    seen = ~np.isnan(y)
    n = seen.T.astype(float) @ w  # (J, Q)
    complete = np.einsum("jq,jqk,jql->jkl", n / (p * (1 - p)), d, d)
    y0 = np.where(seen, y, 0.0)
    # u[i, j, q] = d log P(y_ij | theta_q) / d P_jq
    u = seen[:, :, None] * (y0[:, :, None] - p[None]) / (p * (1 - p))[None]
    mean_s = np.einsum("iq,ijq,jqk->ijk", w, u, d)
    second = np.einsum("iq,ijq,jqk,jql->jkl", w, u**2, d, d)
    info = complete - (second - np.einsum("ijk,ijl->jkl", mean_s, mean_s))
    k = d.shape[-1]
    prior_diag = np.zeros((params.n_items, k))
    if priors.sd_log_a is not None:
        prior_diag[:, 0] = 1.0 / (priors.sd_log_a**2 * params.a**2)
    if priors.sd_b is not None:
        prior_diag[:, 1] = 1.0 / priors.sd_b**2
    if k == 3:
        cc = np.clip(params.c, 1e-4, 1 - 1e-4)
        prior_diag[:, 2] = (priors.c_alpha - 1) / cc**2 + (priors.c_beta - 1) / (1 - cc) ** 2
    info = info + np.einsum("jk,kl->jkl", prior_diag, np.eye(k))
    if model is IRTModel.ONE_PL:
        # one shared a: its information is the sum over items; b's alone, a held fixed
        se_a = np.full(params.n_items, 1 / np.sqrt(max(info[:, 0, 0].sum(), _EPS)))
        se_b = 1 / np.sqrt(np.maximum(info[:, 1, 1], _EPS))
        return {"se_a": se_a, "se_b": se_b, "se_c": np.zeros(params.n_items)}
    cov = np.full_like(info, np.nan)
    for j in range(params.n_items):
        try:
            cov[j] = np.linalg.inv(info[j])
        except np.linalg.LinAlgError:
            pass
    diag = np.sqrt(np.where(np.diagonal(cov, axis1=1, axis2=2) > 0, np.diagonal(cov, axis1=1, axis2=2), np.nan))
    return {"se_a": diag[:, 0], "se_b": diag[:, 1],
            "se_c": diag[:, 2] if k == 3 else np.zeros(params.n_items)}


def bootstrap_item_parameters(
    responses: np.ndarray,
    fit: IRTFit,
    n_boot: int = 30,
    rng: RandomState = 0,
) -> tuple[list[ItemParameters], list[np.ndarray]]:
    """Refit the items on `n_boot` resamples of the calibration rows (warm-started from `fit`).

    Returns the parameter sets and, for each, the row indices drawn, so callers can score the
    out-of-bag rows. The spread of these sets is the item-parameter uncertainty an estimate's
    interval carries.
    """
    y = check_responses(responses)
    gen = as_generator(rng)
    sets, draws = [], []
    for _ in range(n_boot):
        idx = gen.integers(0, y.shape[0], y.shape[0])
        refit = fit_irt(y[idx], fit.model, priors=fit.priors, quadrature=fit.quadrature, start=fit.params,
                        max_iter=100, tol=1e-3, standard_errors=False)
        sets.append(refit.params)
        draws.append(idx)
    return sets, draws


@dataclass(frozen=True)
class ItemFit:
    """Rasch-style mean squares per item: outfit (unweighted, outlier-sensitive) and infit
    (information-weighted); both near 1 when the item fits, above ~1.3 a misfit."""

    infit: np.ndarray
    outfit: np.ndarray


def item_fit(fit: IRTFit, responses: np.ndarray) -> ItemFit:
    """Infit/outfit mean squares (Wright & Masters 1982) at the calibration rows' abilities."""
    y = check_responses(responses)
    p = np.clip(item_response(fit.params, fit.theta).T, _EPS, 1 - _EPS)  # (rows, items)
    seen = ~np.isnan(y)
    resid2 = np.where(seen, (np.nan_to_num(y) - p) ** 2, 0.0)
    var = np.where(seen, p * (1 - p), 0.0)
    count = np.maximum(seen.sum(axis=0), 1)
    outfit = np.sum(np.where(seen, resid2 / np.maximum(var, _EPS), 0.0), axis=0) / count
    infit = resid2.sum(axis=0) / np.maximum(var.sum(axis=0), _EPS)
    return ItemFit(infit=infit, outfit=outfit)


def simulate_responses(params: ItemParameters, theta: np.ndarray, rng: RandomState = 0) -> np.ndarray:
    """Draw a `(len(theta) x n_items)` 0/1 matrix from the model (for tests and power studies)."""
    gen = as_generator(rng)
    p = item_response(params, theta).T
    return (gen.random(p.shape) < p).astype(float)
