"""Log-likelihood scoring with a transformers causal LM: batched, length-sorted, left-padded.

Each request becomes `context ids + continuation ids` (see `TokenSetup.encode_pair`); the
model reads all but the last token and the continuation's log-probability is summed from
the final `len(continuation)` positions. Batches are left-padded with explicit position
ids (this agrees with unpadded scoring to ~2e-6), so every row's continuation ends at the
right edge and `logits_to_keep` can ask the model for only the last few positions: the
output head is ~20% of SmolLM2's and ~60% of Gemma's parameters (and a 262k-wide logit row
per position), so skipping it elsewhere is the largest speed-up available on CPU.

Rows are sorted longest first, so the heaviest batch runs first and a memory problem shows
at once; results come back in input order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

from assay.core.requests import Loglikelihood
from assay.core.responses import LoglikelihoodResult, Usage
from assay.models.base import context_length_error
from assay.models.hf.prefix import group_by_context, prefix_batches, score_prefix_batch
from assay.models.hf.tokens import TokenSetup, left_pad

TOKEN_BUDGET = 1024
"""Automatic batching: at most this many (padded) input tokens per forward pass. On 2 CPU
cores throughput is flat from ~500 to ~2,000 tokens per pass and drops beyond (activations
leave the cache); the smaller end also wastes less on padding."""

LOGIT_BUDGET_BYTES = 512 * 2**20
"""Automatic batching: at most this much memory for the kept fp32 logits of one batch."""

MAX_AUTO_ROWS = 32


@dataclass(frozen=True)
class _Row:
    index: int
    inputs: list[int]
    targets: list[int]


def score_loglikelihood(
    model: Any,
    tokens: TokenSetup,
    requests: Sequence[Loglikelihood],
    *,
    batch_size: int | None,
    max_length: int,
    device: str = "cpu",
    share_prefix: bool = True,
    model_name: str = "model",
) -> list[LoglikelihoodResult]:
    """One `LoglikelihoodResult` per request, in input order.

    With `share_prefix` (the default) requests whose context tokens are identical run that
    context once and score their continuations from its key/value cache (see hf.prefix);
    all requests run in full when it is off.

    `batch_size` fixes the rows per forward pass; `None` packs rows up to `TOKEN_BUDGET`
    padded tokens and `LOGIT_BUDGET_BYTES` of logits. A request whose context and
    continuation together exceed `max_length` tokens raises `PermanentModelError` (reason
    "context_length") before any forward pass: truncating it would score another question.
    """
    results: list[LoglikelihoodResult | None] = [None] * len(requests)
    rows: list[_Row] = []
    shared: list[tuple[int, list[int], list[int]]] = []
    for index, request in enumerate(requests):
        ctx_ids, cont_ids = tokens.encode_pair(request.context, request.continuation)
        if not cont_ids:
            results[index] = LoglikelihoodResult(0.0, True, 0)
            continue
        full = ctx_ids + cont_ids
        if len(full) > max_length:
            raise context_length_error(model_name, len(full), max_length, "a log-likelihood request (context and continuation)")
        if share_prefix:
            shared.append((index, ctx_ids, cont_ids))
            continue
        rows.append(_Row(index, full[:-1], cont_ids))
    rows.sort(key=lambda row: (-len(row.inputs), row.index))
    vocab = int(model.get_output_embeddings().weight.shape[0])
    for group_batch in prefix_batches(group_by_context(shared), batch_size, vocab):
        for index, result in score_prefix_batch(model, tokens.pad_id, group_batch, device).items():
            results[index] = result
    for batch in _batches(rows, batch_size, vocab):
        for row, result in zip(batch, _score_batch(model, tokens.pad_id, batch, device)):
            results[row.index] = result
    return [r for r in results if r is not None]


def _batches(rows: list[_Row], batch_size: int | None, vocab: int) -> list[list[_Row]]:
    if batch_size is not None:
        return [rows[i:i + batch_size] for i in range(0, len(rows), batch_size)]
    batches: list[list[_Row]] = []
    current: list[_Row] = []
    width = keep = 0
    for row in rows:
        new_width = max(width, len(row.inputs))
        new_keep = max(keep, len(row.targets))
        n = len(current) + 1
        fits = n * new_width <= TOKEN_BUDGET and n * new_keep * vocab * 4 <= LOGIT_BUDGET_BYTES
        if current and (not fits or n > MAX_AUTO_ROWS):
            batches.append(current)
            current, new_width, new_keep = [], len(row.inputs), len(row.targets)
        current.append(row)
        width, keep = new_width, new_keep
    if current:
        batches.append(current)
    return batches


def _score_batch(model: Any, pad_id: int, batch: list[_Row], device: str) -> list[LoglikelihoodResult]:
    import torch

    keep = max(len(row.targets) for row in batch)
    input_ids, mask = left_pad([row.inputs for row in batch], pad_id)
    # Positions count real tokens only, so a left-padded row sees the same positions
    # (hence the same rotary embeddings) as it would alone.
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    started = time.perf_counter()
    with torch.inference_mode():
        logits = model(
            input_ids=input_ids.to(device),
            attention_mask=mask.to(device),
            position_ids=positions.to(device),
            logits_to_keep=keep,
            use_cache=False,
        ).logits
        out = []
        for i, row in enumerate(batch):
            n = len(row.targets)
            row_logits = logits[i, keep - n:].float()
            target = torch.tensor(row.targets, dtype=torch.long, device=row_logits.device)
            logprobs = torch.log_softmax(row_logits, dim=-1).gather(-1, target[:, None])[:, 0]
            greedy = bool((row_logits.argmax(-1) == target).all())
            out.append((float(logprobs.sum()), greedy, n))
    elapsed = time.perf_counter() - started
    total = sum(len(row.inputs) for row in batch)
    return [
        LoglikelihoodResult(
            logprob=logprob, is_greedy=greedy, n_tokens=n,
            usage=Usage(tokens_in=len(row.inputs) + 1, tokens_out=0,
                        latency_s=elapsed * len(row.inputs) / total),
        )
        for row, (logprob, greedy, n) in zip(batch, out)
    ]
