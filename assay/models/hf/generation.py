"""Text generation with a transformers causal LM: greedy requests batched, sampled ones seeded.

- Greedy requests (temperature 0) are sorted by prompt length and generated together,
  left-padded; greedy decoding of a row does not depend on its batch-mates, so the result
  equals one-at-a-time generation. Each row stops on its own (its `max_tokens`, its stop
  strings, or an end-of-sequence token) through one `StoppingCriteria`, so requests with
  different settings can share a batch.
- Sampled requests run one at a time, each under its own seed (`params.seed`) inside a
  forked RNG, so a request's samples do not depend on what else is in the run and the
  caller's global torch RNG is left untouched. `n` samples come from one call with
  `num_return_sequences=n`. Sampling is plain temperature + top-p: transformers' default
  top-k of 50 is switched off so that `temperature` means what it means in an API.

The completion never contains the prompt; text is cut at the first stop string.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

from assay.core.requests import GenerationParams
from assay.core.responses import Completion, Usage
from assay.models.hf.tokens import TokenSetup, left_pad

GREEDY_BATCH = 16
"""Automatic batching for greedy requests: rows per `generate` call."""


@dataclass(frozen=True)
class Prompt:
    """A request ready for the model: its prompt ids and its generation settings."""

    ids: list[int]
    params: GenerationParams


def generate_all(
    model: Any,
    tokens: TokenSetup,
    prompts: Sequence[Prompt],
    *,
    batch_size: int | None,
    device: str = "cpu",
) -> list[Completion]:
    """One `Completion` per prompt, in input order."""
    results: list[Completion | None] = [None] * len(prompts)
    greedy = sorted((i for i, p in enumerate(prompts) if p.params.greedy), key=lambda i: (-len(prompts[i].ids), i))
    size = batch_size or GREEDY_BATCH
    for start in range(0, len(greedy), size):
        chunk = greedy[start:start + size]
        completions = _generate_batch(model, tokens, [prompts[i] for i in chunk], device, sample_seed=None)
        for i, completion in zip(chunk, completions):
            n = prompts[i].params.n
            results[i] = Completion(completion.texts * n, completion.finish_reason, completion.usage)
    for i, prompt in enumerate(prompts):
        if not prompt.params.greedy:
            results[i] = _generate_batch(model, tokens, [prompt], device, sample_seed=prompt.params.seed)[0]
    return [r for r in results if r is not None]


def _generate_batch(
    model: Any, tokens: TokenSetup, prompts: list[Prompt], device: str, sample_seed: int | None
) -> list[Completion]:
    """Greedy: one row per prompt. Sampled (exactly one prompt): `params.n` rows."""
    import torch
    from transformers import GenerationConfig, StoppingCriteriaList

    sampled = not prompts[0].params.greedy
    copies = prompts[0].params.n if sampled else 1
    rows = [p for p in prompts for _ in range(copies)]
    input_ids, mask = left_pad([p.ids for p in prompts], tokens.pad_id)
    width = input_ids.shape[1]
    stopper = _RowStopper(tokens, width, rows)
    config = GenerationConfig(
        max_new_tokens=max(p.params.max_tokens for p in prompts),
        do_sample=sampled,
        num_return_sequences=copies,
        pad_token_id=tokens.pad_id,
        eos_token_id=sorted(tokens.stop_ids) or None,
        **({"temperature": prompts[0].params.temperature, "top_p": prompts[0].params.top_p, "top_k": 0}
           if sampled else {}),
    )
    started = time.perf_counter()
    with torch.inference_mode(), torch.random.fork_rng(devices=[], enabled=sample_seed is not None):
        if sample_seed is not None:
            torch.manual_seed(sample_seed)
        output = model.generate(
            input_ids=input_ids.to(device),
            attention_mask=mask.to(device),
            generation_config=config,
            stopping_criteria=StoppingCriteriaList([stopper]),
        )
    elapsed = time.perf_counter() - started
    new_tokens = output[:, width:].tolist()
    finished = [
        _finish(tokens, ids, row.params, length)
        for ids, row, length in zip(new_tokens, rows, stopper.lengths)
    ]
    completions = []
    for i, prompt in enumerate(prompts):
        mine = finished[i * copies:(i + 1) * copies]
        reason = "length" if all(f[1] == "length" for f in mine) else "stop"
        ttft, tpot = stopper.timing(started, range(i * copies, (i + 1) * copies))
        usage = Usage(
            tokens_in=len(prompt.ids),
            tokens_out=sum(f[2] for f in mine),
            latency_s=elapsed / len(prompts),
            ttft_s=ttft,
            tpot_s=tpot,
        )
        completions.append(Completion(tuple(f[0] for f in mine), reason, usage))
    return completions


def _finish(tokens: TokenSetup, ids: list[int], params: GenerationParams, length: int | None) -> tuple[str, str, int]:
    """(text, finish reason, tokens generated) for one row of new token ids.

    `length` is how many tokens the row had when it stopped (None: it never did, so all
    of `ids` are its own); what follows is padding from batch-mates still running.
    """
    count = min(len(ids) if length is None else length, params.max_tokens)
    ids = ids[:count]
    reason = "stop" if ids and ids[-1] in tokens.stop_ids else "length"
    text = tokens.decode([t for t in ids if t not in tokens.stop_ids])
    cut = _first_stop(text, params.stop)
    if cut is not None:
        text, reason = text[:cut], "stop"
    return text, reason, count


def _first_stop(text: str, stops: tuple[str, ...]) -> int | None:
    found = [text.find(s) for s in stops if s and s in text]
    return min(found) if found else None


class _RowStopper:
    """Stops each row at its own `max_tokens`, its first stop string or an end token,
    and records how many tokens it had then (`lengths`).

    transformers' own `stop_strings` would also work but precomputes a table over the
    whole vocabulary per set of stop strings (262k entries for Gemma); decoding the new
    tokens of each unfinished row is cheap at these batch sizes.
    """

    def __init__(self, tokens: TokenSetup, prompt_width: int, rows: list[Prompt]) -> None:
        self.tokens = tokens
        self.width = prompt_width
        self.rows = rows
        self.lengths: list[int | None] = [None] * len(rows)
        self.times: list[float] = []
        """When each decoding step's token was appended: transformers calls the stopping
        criteria once per step, right after it, so this is the per-token stream of the batch."""

    def timing(self, started: float, rows: range) -> tuple[float | None, float | None]:
        """(time to first token, mean time per later output token) of some rows: their
        batch's first token time, and the span from it to each row's last token over the
        tokens in between (a row that stopped early is not charged for its batch-mates)."""
        if not self.times:
            return None, None
        ttft = self.times[0] - started
        spans = []
        for r in rows:
            n = len(self.times) if self.lengths[r] is None else self.lengths[r]
            n = min(n, len(self.times))
            if n > 1:
                spans.append((self.times[n - 1] - self.times[0]) / (n - 1))
        return ttft, (sum(spans) / len(spans) if spans else None)

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        generated = input_ids.shape[1] - self.width
        if generated > len(self.times):
            self.times.append(time.perf_counter())
        for i, row in enumerate(self.rows):
            if self.lengths[i] is not None or generated == 0:
                continue
            new = input_ids[i, self.width:].tolist()
            if (
                new[-1] in self.tokens.stop_ids
                or generated >= row.params.max_tokens
                or (row.params.stop and _first_stop(self.tokens.decode(new), row.params.stop) is not None)
            ):
                self.lengths[i] = generated
        return torch.tensor([n is not None for n in self.lengths], dtype=torch.bool, device=input_ids.device)
