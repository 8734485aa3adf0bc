"""Whole-text log-likelihood (perplexity) with a transformers causal LM.

Each text is encoded without special tokens and cut into lm-eval's rolling windows
(`assay.models.windows`) of the model's `max_length`, the first conditioned on the prefix
token (BOS, else EOS). Windows of every request are scored together by the same batched,
left-padded pass as log-likelihood requests (`hf.scoring`), then summed per text.

A window with more than `CHUNK_TOKENS` predictions runs alone, in chunks that extend one
key/value cache, so its logits are never all in memory at once: a full 8,192-token window
of SmolLM2 would otherwise hold 1.6 GB of logits, and of Gemma (262k vocabulary) 8.6 GB.
"""

from __future__ import annotations

import time
from typing import Any, Sequence

from assay.core.requests import LoglikelihoodRolling
from assay.core.responses import RollingLoglikelihoodResult, Usage
from assay.models.hf.scoring import _batches, _Row, _score_batch
from assay.models.hf.tokens import TokenSetup
from assay.models.windows import rolling_windows

CHUNK_TOKENS = 1024
"""Windows predicting more tokens than this are scored alone, this many positions per pass."""


def score_rolling(
    model: Any,
    tokens: TokenSetup,
    requests: Sequence[LoglikelihoodRolling],
    *,
    batch_size: int | None,
    max_length: int,
    stride: int | None = None,
    device: str = "cpu",
) -> list[RollingLoglikelihoodResult]:
    """One result per request, in input order: the sum of every token's log-probability."""
    short: list[_Row] = []
    long: list[_Row] = []
    owner: list[int] = []  # window row index -> request index
    for index, request in enumerate(requests):
        ids = tokens.encode(request.text, add_bos=False)
        for window in rolling_windows(ids, tokens.prefix_id, max_length, stride):
            row = _Row(len(owner), list(window.inputs), list(window.targets))
            owner.append(index)
            (long if len(row.targets) > CHUNK_TOKENS else short).append(row)
    totals = [0.0] * len(requests)
    counts = [0] * len(requests)
    read = [0] * len(requests)
    latency = [0.0] * len(requests)
    short.sort(key=lambda row: (-len(row.inputs), row.index))
    vocab = int(model.get_output_embeddings().weight.shape[0])
    for batch in _batches(short, batch_size, vocab):
        for row, result in zip(batch, _score_batch(model, tokens.pad_id, batch, device)):
            _add(owner[row.index], result.logprob, result.n_tokens, len(row.inputs), result.usage.latency_s,
                 totals, counts, read, latency)
    for row in long:
        started = time.perf_counter()
        logprob = _score_long_row(model, row, device)
        _add(owner[row.index], logprob, len(row.targets), len(row.inputs), time.perf_counter() - started,
             totals, counts, read, latency)
    return [RollingLoglikelihoodResult(totals[i], counts[i], Usage(tokens_in=read[i], latency_s=latency[i]))
            for i in range(len(requests))]


def _add(i: int, logprob: float, n: int, n_read: int, seconds: float, totals: list[float], counts: list[int],
         read: list[int], latency: list[float]) -> None:
    totals[i] += logprob
    counts[i] += n
    read[i] += n_read
    latency[i] += seconds


def _score_long_row(model: Any, row: _Row, device: str) -> float:
    """Sum of log P(target) for one window too long to hold its logits at once: the inputs
    run in chunks of `CHUNK_TOKENS`, each extending the previous chunks' key/value cache."""
    import torch

    inputs = row.inputs
    first_scored = len(inputs) - len(row.targets)  # position whose logits predict targets[0]
    total = 0.0
    cache = None
    with torch.inference_mode():
        for start in range(0, len(inputs), CHUNK_TOKENS):
            chunk = inputs[start:start + CHUNK_TOKENS]
            ids = torch.tensor([chunk], dtype=torch.long, device=device)
            positions = torch.arange(start, start + len(chunk), device=device)[None, :]
            if cache is None:
                out = model(input_ids=ids, position_ids=positions, use_cache=True)
            else:
                out = model(input_ids=ids, position_ids=positions, cache=cache, use_cache=True)
            cache = out.cache
            lo = max(start, first_scored)
            if lo >= start + len(chunk):
                continue
            logits = out.logits[0, lo - start:].float()
            target = torch.tensor(row.targets[lo - first_scored:lo - first_scored + logits.shape[0]],
                                  dtype=torch.long, device=logits.device)
            total += float(torch.log_softmax(logits, dim=-1).gather(-1, target[:, None]).sum())
    return total


def score_rolling_tokens(
    model: Any,
    tokens: TokenSetup,
    requests: Sequence[LoglikelihoodRolling],
    *,
    max_length: int,
    device: str = "cpu",
) -> list[RollingLoglikelihoodResult]:
    """As `score_rolling`, with each token's log-probability and, at each position, the mean
    and standard deviation of log p(z) over the vocabulary (what Min-K%++ normalises by).

    One window per forward pass (membership passages are short); windows are at most
    `CHUNK_TOKENS` long here so a position's full distribution is never held for more than
    that many positions at once. Texts within that length score exactly as `score_rolling`."""
    import torch

    results: list[RollingLoglikelihoodResult] = []
    length = min(max_length, CHUNK_TOKENS)
    for request in requests:
        started = time.perf_counter()
        ids = tokens.encode(request.text, add_bos=False)
        logprobs: list[float] = []
        means: list[float] = []
        stds: list[float] = []
        read = 0
        with torch.inference_mode():
            for window in rolling_windows(ids, tokens.prefix_id, length):
                inputs = torch.tensor([list(window.inputs)], dtype=torch.long, device=device)
                logits = model(input_ids=inputs).logits[0, -len(window.targets):].float()
                logp = torch.log_softmax(logits, dim=-1)
                p = logp.exp()
                mean = (p * logp).sum(-1)
                var = (p * logp.square()).sum(-1) - mean.square()
                target = torch.tensor(list(window.targets), dtype=torch.long, device=logp.device)
                logprobs += logp.gather(-1, target[:, None])[:, 0].tolist()
                means += mean.tolist()
                stds += var.clamp_min(0).sqrt().tolist()
                read += len(window.inputs)
        usage = Usage(tokens_in=read, latency_s=time.perf_counter() - started)
        results.append(RollingLoglikelihoodResult(float(sum(logprobs)), len(logprobs), usage,
                                                  token_logprobs=tuple(logprobs), token_means=tuple(means),
                                                  token_stds=tuple(stds)))
    return results
