"""Membership scores from a model's own probabilities, and how well each separates seen from
unseen text, calibrated on items known to be clean.

Per item (higher = more likely in the training data):
- `perplexity`: the mean token log-likelihood (minus log perplexity).
- `zlib`: that mean divided by the zlib-compressed length in bytes (Carlini et al. 2021: a
  text that is predictable only because it is repetitive compresses well too).
- `min_k`: Min-K% Prob (Shi et al. 2024): the mean of the lowest k% of token log-probs; a
  seen text has few surprising tokens.
- `min_k_pp`: Min-K%++ (Zhang et al. 2025): each token's log-prob standardised by the mean
  and standard deviation of log p(z) over the vocabulary at that position, then the mean
  of the lowest k%: seen text sits at local maxima of the model's distribution.
- `reference`: the mean log-likelihood minus a reference model's (Carlini et al. 2021): what
  the target model knows beyond what any model finds likely.

Everything is built on whole-text (rolling) log-likelihood; Min-K% and Min-K%++ need the
per-token detail that the in-process transformers adapter gives (`token_detail=True`), and
are absent (NaN, with the reason) for a model that gives only the total.
"""

from __future__ import annotations

import inspect
import math
import zlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Mapping, Sequence

import numpy as np

from assay.core.requests import LoglikelihoodRolling
from assay.core.responses import RollingLoglikelihoodResult
from assay.errors import AssayError, ConfigError
from assay.stats.detection import CleanCalibration, DetectionReport, calibrate_on_clean, detection_report


class MembershipScore(str, Enum):
    PERPLEXITY = "perplexity"
    ZLIB = "zlib"
    MIN_K = "min_k"
    MIN_K_PP = "min_k_pp"
    REFERENCE = "reference"


@dataclass(frozen=True)
class ItemMembership:
    """One text's membership scores (NaN where a score could not be computed)."""

    id: str
    n_tokens: int
    scores: Mapping[str, float]
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "n_tokens": self.n_tokens, **dict(self.scores), "error": self.error}


def min_k(values: Sequence[float] | np.ndarray, k: float) -> float:
    """Mean of the lowest fraction `k` of `values` (at least one)."""
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0:
        return math.nan
    return float(x[: max(1, int(x.size * k))].mean())


def zlib_bytes(text: str) -> int:
    return len(zlib.compress(text.encode("utf-8")))


def item_scores(text: str, result: RollingLoglikelihoodResult, k: float = 0.2,
                reference: RollingLoglikelihoodResult | None = None) -> dict[str, float]:
    """Every membership score of one text from its rolling log-likelihood result(s)."""
    nan = math.nan
    if result.error is not None or result.n_tokens == 0:
        return {s.value: nan for s in MembershipScore}
    mean_ll = result.logprob / result.n_tokens
    out = {MembershipScore.PERPLEXITY.value: mean_ll,
           MembershipScore.ZLIB.value: mean_ll / max(1, zlib_bytes(text)),
           MembershipScore.MIN_K.value: nan, MembershipScore.MIN_K_PP.value: nan,
           MembershipScore.REFERENCE.value: nan}
    if result.token_logprobs is not None:
        logp = np.asarray(result.token_logprobs, dtype=float)
        out[MembershipScore.MIN_K.value] = min_k(logp, k)
        if result.token_means is not None and result.token_stds is not None:
            mu, sigma = np.asarray(result.token_means), np.asarray(result.token_stds)
            out[MembershipScore.MIN_K_PP.value] = min_k((logp - mu) / np.maximum(sigma, 1e-8), k)
    if reference is not None and reference.error is None and reference.n_tokens:
        out[MembershipScore.REFERENCE.value] = mean_ll - reference.logprob / reference.n_tokens
    return out


def _rolling(model: Any, texts: Sequence[str], detail: bool) -> list[RollingLoglikelihoodResult]:
    if not getattr(getattr(model, "capabilities", None), "loglikelihood_rolling", False):
        name = getattr(getattr(model, "info", None), "name", "this model")
        raise ConfigError(f"{name} cannot score whole texts (rolling log-likelihood), which membership scores need",
                          field="model", hint="use an hf:/gguf: model or a bundled alias")
    method = model.loglikelihood_rolling
    requests = [LoglikelihoodRolling(t) for t in texts]
    takes_detail = "token_detail" in inspect.signature(method).parameters
    answer = method(requests, token_detail=True) if detail and takes_detail else method(requests)
    if inspect.isawaitable(answer):
        from assay.engine.run import run_sync

        answer = run_sync(answer)
    return list(answer)


def score_membership(model: Any, texts: Sequence[str], ids: Sequence[str] | None = None, *, k: float = 0.2,
                     reference: Any | None = None, batch: int = 8, progress: bool = False) -> list[ItemMembership]:
    """Membership scores of each text under `model` (and `reference`, for the reference score)."""
    if not 0 < k <= 1:
        raise ConfigError(f"k must be in (0, 1], got {k}", field="k")
    ids = list(ids) if ids is not None else [str(i) for i in range(len(texts))]
    empty = [i for i, t in zip(ids, texts) if not t.strip()]
    if empty:
        raise ConfigError(f"item {empty[0]!r} has no text to score", field="input")
    out: list[ItemMembership] = []
    bar = None
    if progress:
        from rich.progress import Progress

        bar = Progress(transient=True)
        task = bar.add_task("membership scores", total=len(texts))
        bar.start()
    try:
        for start in range(0, len(texts), batch):
            chunk = list(texts[start:start + batch])
            results = _rolling(model, chunk, detail=True)
            refs: list[Any] = _rolling(reference, chunk, detail=False) if reference is not None else [None] * len(chunk)
            for j, (text, res, ref) in enumerate(zip(chunk, results, refs)):
                out.append(ItemMembership(ids[start + j], res.n_tokens, item_scores(text, res, k, ref), res.error))
            if bar is not None:
                bar.advance(task, len(chunk))
    finally:
        if bar is not None:
            bar.stop()
    return out


def _column(items: Sequence[ItemMembership], score: str) -> np.ndarray:
    return np.array([i.scores.get(score, math.nan) for i in items], dtype=float)


def available_scores(items: Sequence[ItemMembership]) -> list[str]:
    """The scores computed (not NaN) for at least one item, in `MembershipScore` order."""
    return [s.value for s in MembershipScore if np.isfinite(_column(items, s.value)).any()]


def separation(members: Sequence[ItemMembership], nonmembers: Sequence[ItemMembership], target_fpr: float = 0.05,
               n_resamples: int = 2000, seed: int = 0) -> list[DetectionReport]:
    """Each available score's AUROC and TPR@`target_fpr` between known members and known
    non-members, with intervals: how well it detects membership, measured."""
    scores = [s for s in available_scores(members) if s in available_scores(nonmembers)]
    return [detection_report(s, _column(members, s), _column(nonmembers, s), target_fpr,
                             n_resamples=n_resamples, rng=seed) for s in scores]


@dataclass
class MembershipFlags:
    """Items flagged by one score at a threshold set on known-clean items, with the
    false-positive rate that threshold has on clean items it did not see."""

    score: str
    calibration: CleanCalibration
    flagged: list[str] = field(default_factory=list)
    n_items: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, **self.calibration.to_dict(), "flagged": list(self.flagged),
                "n_items": self.n_items}


def flag_items(items: Sequence[ItemMembership], clean: Sequence[ItemMembership], target_fpr: float = 0.05,
               seed: int = 0) -> list[MembershipFlags]:
    """For each score: the threshold from the clean items, its measured FPR, and the items
    at or above it. A flag never comes without the FPR that goes with it."""
    out = []
    for s in available_scores(clean):
        cal = calibrate_on_clean(_column(clean, s), target_fpr, rng=seed)
        values = _column(items, s)
        flagged = [i.id for i, v in zip(items, values) if np.isfinite(v) and v >= cal.threshold]
        out.append(MembershipFlags(s, cal, flagged, len(items)))
    if not out:
        raise AssayError("no membership score could be computed on the clean items")
    return out


def with_reference(items: Sequence[ItemMembership], reference: Sequence[ItemMembership]) -> list[ItemMembership]:
    """`items` with the reference score filled from another model's scores of the same texts
    (in the same order): the target's mean log-likelihood minus the reference's."""
    if len(items) != len(reference):
        raise ValueError("items and reference must score the same texts")
    key = MembershipScore.REFERENCE.value
    ppl = MembershipScore.PERPLEXITY.value
    return [ItemMembership(i.id, i.n_tokens, {**i.scores, key: i.scores[ppl] - r.scores[ppl]}, i.error)
            for i, r in zip(items, reference)]
