"""Cognitive diagnosis: the DINA model (Junker & Sijtsma 2001; de la Torre 2009) by EM.

`responses` is `(n_rows x n_items)` of 1/0/NaN; `q_matrix` is `(n_items x n_skills)` of 0/1,
which skills each item needs. A row (a model) has a latent mastery profile alpha in {0,1}^K;
it answers item j right with probability 1 - slip_j when it masters every skill j needs, and
guess_j otherwise. EM over all 2^K profiles (K up to ~12) gives the slips and guesses, the
profile distribution, and each row's posterior probability of mastering each skill.

With few rows (< `min_rows_per_item_parameters`) slip and guess are shared by all items, as
one row cannot identify two parameters per item. Hand-written because no maintained PyPI
package fits DINA with missing responses in numpy (the R packages GDINA/CDM are the
references; the tests recover simulated parameters instead).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from assay.stats._checks import RandomState, as_generator

_EPS = 1e-6


@dataclass(frozen=True)
class DINAFit:
    """Item slips and guesses, the profiles and their prior, and each row's posterior over
    profiles; `mastery` is `(n_rows x n_skills)` P(skill mastered | responses)."""

    slip: np.ndarray
    guess: np.ndarray
    profiles: np.ndarray
    prior: np.ndarray
    posterior: np.ndarray
    log_likelihood: float
    n_iter: int
    shared_item_parameters: bool

    @property
    def mastery(self) -> np.ndarray:
        return self.posterior @ self.profiles


def check_q_matrix(q: np.ndarray, n_items: int) -> np.ndarray:
    q = np.asarray(q, dtype=float)
    if q.ndim != 2 or q.shape[0] != n_items:
        raise ValueError(f"the Q-matrix must be (n_items x n_skills) = ({n_items} x K), got {q.shape}")
    if not np.isin(q, (0.0, 1.0)).all():
        raise ValueError("the Q-matrix holds only 0 and 1")
    if (q.sum(axis=1) == 0).any():
        raise ValueError("every item needs at least one skill in the Q-matrix")
    if q.shape[1] > 14:
        raise ValueError(f"{q.shape[1]} skills: DINA enumerates 2^K profiles; keep K at most 14")
    return q


def ideal_responses(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All 2^K profiles and eta[profile, item] = 1 when the profile masters every skill the item needs."""
    k = q.shape[1]
    profiles = np.array(list(itertools.product((0.0, 1.0), repeat=k)))
    eta = (profiles @ q.T >= q.sum(axis=1)[None, :] - 1e-9).astype(float)
    return profiles, eta


def _log_lik(y0: np.ndarray, seen: np.ndarray, p: np.ndarray) -> np.ndarray:
    """log P(row | profile), `(n_rows x n_profiles)`, from p = P(correct | profile, item)."""
    p = np.clip(p, _EPS, 1 - _EPS)
    return y0 @ np.log(p).T + ((1 - y0) * seen) @ np.log1p(-p).T


def fit_dina(responses: np.ndarray, q_matrix: np.ndarray, *, max_iter: int = 500, tol: float = 1e-6,
             min_rows_per_item_parameters: int = 10, prior_strength: float = 1.0) -> DINAFit:
    """Fit DINA by EM. Slips and guesses get a Beta(1 + prior_strength, 1 + 4 * prior_strength)
    prior (they are small by definition: a guess above 1 - slip means the item is mislabelled)."""
    y = np.asarray(responses, float)
    q = check_q_matrix(q_matrix, y.shape[1])
    seen = ~np.isnan(y)
    y0 = np.where(seen, y, 0.0)
    profiles, eta = ideal_responses(q)
    n_prof = len(profiles)
    shared = y.shape[0] < min_rows_per_item_parameters
    slip = np.full(y.shape[1], 0.2)
    guess = np.full(y.shape[1], 0.2)
    log_prior = np.full(n_prof, -np.log(n_prof))
    a0, b0 = 1.0 + prior_strength, 1.0 + 4.0 * prior_strength
    previous = -np.inf
    it = 0
    for it in range(1, max_iter + 1):
        p = eta * (1 - slip)[None, :] + (1 - eta) * guess[None, :]
        lp = _log_lik(y0, seen, p) + log_prior[None, :]
        norm = logsumexp(lp, axis=1, keepdims=True)
        w = np.exp(lp - norm)  # (rows, profiles)
        ll = float(norm.sum())
        # expected counts: masters of item j (eta = 1) answering right / asked, and non-masters
        m_right = ((w @ eta) * y0).sum(axis=0)
        m_asked = ((w @ eta) * seen).sum(axis=0)
        n_right = ((w @ (1 - eta)) * y0).sum(axis=0)
        n_asked = ((w @ (1 - eta)) * seen).sum(axis=0)
        if shared:
            m_right, m_asked = np.full_like(slip, m_right.sum()), np.full_like(slip, m_asked.sum())
            n_right, n_asked = np.full_like(slip, n_right.sum()), np.full_like(slip, n_asked.sum())
        slip = (m_asked - m_right + a0 - 1) / (m_asked + a0 + b0 - 2)
        guess = (n_right + a0 - 1) / (n_asked + a0 + b0 - 2)
        counts = w.sum(axis=0) + 1.0 / n_prof  # a light Dirichlet smoothing of the profile prior
        log_prior = np.log(counts / counts.sum())
        if abs(ll - previous) < tol * max(1.0, abs(ll)):
            break
        previous = ll
    p = eta * (1 - slip)[None, :] + (1 - eta) * guess[None, :]
    lp = _log_lik(y0, seen, p) + log_prior[None, :]
    norm = logsumexp(lp, axis=1, keepdims=True)
    return DINAFit(slip, guess, profiles, np.exp(log_prior), np.exp(lp - norm), float(norm.sum()), it, shared)


def mastery_posterior(fit: DINAFit, q_matrix: np.ndarray, responses: np.ndarray) -> np.ndarray:
    """P(skill mastered | responses) for rows scored with a fitted model's item parameters."""
    y = np.atleast_2d(np.asarray(responses, float))
    q = np.asarray(q_matrix, float)
    _, eta = ideal_responses(q)
    seen = ~np.isnan(y)
    p = eta * (1 - fit.slip)[None, :] + (1 - eta) * fit.guess[None, :]
    lp = _log_lik(np.where(seen, y, 0.0), seen, p) + np.log(fit.prior)[None, :]
    w = np.exp(lp - logsumexp(lp, axis=1, keepdims=True))
    return w @ fit.profiles


def mastery_intervals(fit: DINAFit, q_matrix: np.ndarray, responses: np.ndarray, *, n_boot: int = 200,
                      confidence: float = 0.95, rng: RandomState = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile intervals of each row's mastery probabilities over a bootstrap of its items
    (items resampled within the row, item parameters held at the fit): how much the verdict
    depends on which items happened to be asked. Returns (low, high), each `(n_rows x n_skills)`."""
    gen = as_generator(rng)
    y = np.atleast_2d(np.asarray(responses, float))
    q = np.asarray(q_matrix, float)
    n_items = y.shape[1]
    draws = np.empty((n_boot, y.shape[0], q.shape[1]))
    for b in range(n_boot):
        idx = gen.integers(0, n_items, n_items)
        sub = DINAFit(fit.slip[idx], fit.guess[idx], fit.profiles, fit.prior, fit.posterior, 0.0, 0,
                      fit.shared_item_parameters)
        draws[b] = mastery_posterior(sub, q[idx], y[:, idx])
    alpha = (1 - confidence) / 2
    return np.clip(np.quantile(draws, alpha, axis=0), 0, 1), np.clip(np.quantile(draws, 1 - alpha, axis=0), 0, 1)


def simulate_dina(q_matrix: np.ndarray, profiles: np.ndarray, slip: np.ndarray, guess: np.ndarray,
                  rng: RandomState = 0) -> np.ndarray:
    """Draw `(len(profiles) x n_items)` responses from DINA (for tests)."""
    gen = as_generator(rng)
    q = np.asarray(q_matrix, float)
    eta = (np.asarray(profiles, float) @ q.T >= q.sum(axis=1)[None, :] - 1e-9).astype(float)
    p = eta * (1 - slip)[None, :] + (1 - eta) * guess[None, :]
    return (gen.random(p.shape) < p).astype(float)
