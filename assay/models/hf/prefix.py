"""Shared-prefix log-likelihood scoring: each distinct context runs once, its options from its cache.

A multiple-choice item asks for `log P(option | context)` for every option; the context is
the same, and usually ten times longer than an option. So requests are grouped by their
context token ids, and for each batch of groups:

1. the contexts run once, left-padded, with the key/value cache kept and the output head
   applied at the last position only: that row gives every option's first token;
2. if any option has two or more tokens, the cache is gathered per option row
   (`reorder_cache` with the group index, so items with different numbers of options mix
   freely) and the options' own tokens run on top of it, right-padded, with positions
   continuing from each context's real length.

Single-token options therefore cost one context pass and nothing else; multi-token options
cost one context pass plus a pass over their own tokens. The result equals full
recomputation of `context + option` within floating-point tolerance (left padding with
explicit position ids agrees with unpadded scoring to ~2e-6; tests/integration/
test_shared_prefix.py checks both bundled models).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from assay.core.responses import LoglikelihoodResult, Usage
from assay.models.hf.tokens import left_pad

TOKEN_BUDGET = 1024
"""Automatic batching: at most this many (padded) tokens per batch, contexts plus options.
On 2 CPU cores throughput is flat from ~500 to ~2,000 tokens per pass."""

MAX_AUTO_GROUPS = 32
LOGIT_BUDGET_BYTES = 512 * 2**20


@dataclass(frozen=True)
class PrefixGroup:
    """One distinct context and the requests scored from it: (request index, option ids)."""

    context: tuple[int, ...]
    options: tuple[tuple[int, tuple[int, ...]], ...]

    @property
    def option_width(self) -> int:
        return max(len(ids) for _, ids in self.options) - 1


def group_by_context(pairs: list[tuple[int, list[int], list[int]]]) -> list[PrefixGroup]:
    """Groups of (index, context ids, continuation ids) sharing their context ids exactly,
    longest context first (the heaviest batch runs first, and similar lengths pad little)."""
    by_context: dict[tuple[int, ...], list[tuple[int, tuple[int, ...]]]] = {}
    for index, ctx, cont in pairs:
        by_context.setdefault(tuple(ctx), []).append((index, tuple(cont)))
    groups = [PrefixGroup(ctx, tuple(opts)) for ctx, opts in by_context.items()]
    groups.sort(key=lambda g: (-len(g.context), g.options[0][0]))
    return groups


def prefix_batches(groups: list[PrefixGroup], batch_size: int | None, vocab: int) -> list[list[PrefixGroup]]:
    """Whole groups per batch. A fixed `batch_size` counts option rows (as the plain path
    counts rows); automatic batching bounds padded tokens, groups and kept logits."""
    batches: list[list[PrefixGroup]] = []
    current: list[PrefixGroup] = []
    ctx_width = opt_width = rows = 0
    for group in groups:
        n_rows = rows + len(group.options)
        new_ctx = max(ctx_width, len(group.context))
        new_opt = max(opt_width, group.option_width)
        if batch_size is not None:
            fits = n_rows <= max(batch_size, len(group.options))
        else:
            tokens = (len(current) + 1) * new_ctx + n_rows * new_opt
            logits = (len(current) + 1 + n_rows * new_opt) * vocab * 4
            fits = tokens <= TOKEN_BUDGET and logits <= LOGIT_BUDGET_BYTES and len(current) < MAX_AUTO_GROUPS
        if current and not fits:
            batches.append(current)
            current, new_ctx, new_opt, n_rows = [], len(group.context), group.option_width, len(group.options)
        current.append(group)
        ctx_width, opt_width, rows = new_ctx, new_opt, n_rows
    if current:
        batches.append(current)
    return batches


def score_prefix_batch(model: Any, pad_id: int, batch: list[PrefixGroup], device: str) -> dict[int, LoglikelihoodResult]:
    """Results keyed by request index for every option of every group in `batch`."""
    import torch

    started = time.perf_counter()
    ctx_ids, ctx_mask = left_pad([g.context for g in batch], pad_id)
    positions = (ctx_mask.cumsum(-1) - 1).clamp(min=0)
    multi = [(g, index, ids) for g, group in enumerate(batch) for index, ids in group.options if len(ids) > 1]
    with torch.inference_mode():
        out = model(
            input_ids=ctx_ids.to(device), attention_mask=ctx_mask.to(device),
            position_ids=positions.to(device), logits_to_keep=1, use_cache=bool(multi),
        )
        first = torch.log_softmax(out.logits[:, -1].float(), dim=-1)
        first_greedy = first.argmax(-1)
        scores: dict[int, list[float]] = {}
        greedy: dict[int, bool] = {}
        for g, group in enumerate(batch):
            for index, ids in group.options:
                scores[index] = [float(first[g, ids[0]])]
                greedy[index] = bool(first_greedy[g] == ids[0])
        if multi:
            _score_option_tails(model, pad_id, out.cache, ctx_mask, multi, scores, greedy, device)
    elapsed = time.perf_counter() - started
    tokens = {index: len(group.context) + len(ids) - 1 for group in batch for index, ids in group.options}
    total = sum(tokens.values())
    return {
        index: LoglikelihoodResult(
            logprob=sum(values), is_greedy=greedy[index], n_tokens=len(values),
            usage=Usage(tokens_in=tokens[index] + 1, tokens_out=0, latency_s=elapsed * tokens[index] / total),
        )
        for index, values in scores.items()
    }


def _score_option_tails(model: Any, pad_id: int, cache: Any, ctx_mask: Any,
                        multi: list[tuple[int, int, tuple[int, ...]]],
                        scores: dict[int, list[float]], greedy: dict[int, bool], device: str) -> None:
    """Options' second and later tokens, read on top of their context's cache (right-padded:
    a padded tail position only ever attends to itself and earlier tokens, and is not read)."""
    import torch

    tail = max(len(ids) for _, _, ids in multi) - 1
    groups = torch.tensor([g for g, _, _ in multi], dtype=torch.long)
    cache.reorder_cache(groups.to(device))
    opt_ids = torch.full((len(multi), tail), pad_id, dtype=torch.long)
    opt_mask = torch.zeros((len(multi), tail), dtype=torch.long)
    for r, (_, _, ids) in enumerate(multi):
        opt_ids[r, :len(ids) - 1] = torch.tensor(ids[:-1], dtype=torch.long)
        opt_mask[r, :len(ids) - 1] = 1
    row_ctx_mask = ctx_mask[groups]
    mask = torch.cat([row_ctx_mask, opt_mask], dim=1)
    positions = row_ctx_mask.sum(-1, keepdim=True) + torch.arange(tail)[None, :]
    logits = model(
        input_ids=opt_ids.to(device), attention_mask=mask.to(device), position_ids=positions.to(device),
        cache=cache, use_cache=True, logits_to_keep=tail,
    ).logits
    for r, (_, index, ids) in enumerate(multi):
        n = len(ids) - 1
        row = logits[r, :n].float()
        target = torch.tensor(ids[1:], dtype=torch.long, device=row.device)
        logprobs = torch.log_softmax(row, dim=-1).gather(-1, target[:, None])[:, 0]
        scores[index].extend(float(v) for v in logprobs)
        greedy[index] = greedy[index] and bool((row.argmax(-1) == target).all())
