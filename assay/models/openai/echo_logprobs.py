"""Log-likelihoods from an OpenAI-style `echo` + `logprobs` completion, and the check that
the server's echo log-probs sit on the right tokens.

A completions server asked to echo the prompt with `logprobs=K` returns, per prompt token,
its text, its character offset, its log-prob and the top-K alternatives. The continuation's
log-likelihood is the sum over the tokens that end past the context.

The trap: llama-cpp-python pairs echo token i with the distribution *after* token i when the
tokenizer adds no BOS (SmolLM2), so `token_logprobs[i]` is log P(token_i | tokens <= i), a
number with no meaning. The distribution for token i is then `top_logprobs[i-1]`, but only
its top K, keyed by token *text*: tokens that print alike (" " and its byte-level twins)
overwrite each other there, so reading values from it is wrong in ordinary cases (" 4"
after "2 + 2 =" read -5.06 instead of -0.16). A shifted server is therefore detected and
refused, not corrected. `probe_alignment` decides which layout a server uses by comparing
both readings with the log-prob the same server reports for a token it generates itself
(a path that is not affected).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any, Mapping, Sequence


class Alignment(str, Enum):
    ALIGNED = "aligned"
    """token_logprobs[i] is log P(token_i | tokens < i): read directly."""
    SHIFTED = "shifted"
    """the distribution for token i is top_logprobs[i-1]: not readable reliably."""


class EchoError(ValueError):
    """The echo answer cannot give this request's log-likelihood (with the reason)."""


@dataclass(frozen=True)
class EchoScore:
    logprob: float
    is_greedy: bool
    n_tokens: int


def continuation_span(text_offsets: Sequence[int], context_len: int, full_len: int) -> tuple[int, int]:
    """Token indices [start, end) of the continuation: tokens that end past `context_len`
    (a token merging across the boundary counts as continuation, as in the hf adapter)
    and start before `full_len` (anything after is generated, not echoed)."""
    n = len(text_offsets)
    end = n
    for i, offset in enumerate(text_offsets):
        if offset >= full_len:
            end = i
            break
    start = end
    for i in range(end):
        token_end = text_offsets[i + 1] if i + 1 < n else full_len
        if token_end > context_len:
            start = i
            break
    return start, end


def _logprobs_of(choice: Mapping[str, Any]) -> Mapping[str, Any]:
    logprobs = choice.get("logprobs")
    if not isinstance(logprobs, Mapping) or not isinstance(logprobs.get("token_logprobs"), list):
        raise EchoError("the server returned no prompt log-probs (does it support echo with logprobs?)")
    return logprobs


def _lists(choice: Mapping[str, Any]) -> tuple[list[str], list[int], list[float | None], list[Mapping[str, float] | None]]:
    logprobs = _logprobs_of(choice)
    tokens: list[str] = list(logprobs.get("tokens") or [])
    offsets: list[int] = list(logprobs.get("text_offset") or [])
    values: list[float | None] = list(logprobs["token_logprobs"])
    tops: list[Mapping[str, float] | None] = list(logprobs.get("top_logprobs") or [None] * len(values))
    if not (len(tokens) == len(offsets) == len(values) == len(tops)):
        raise EchoError("echo log-probs have lists of different lengths")
    return tokens, offsets, values, tops


def score_echo(choice: Mapping[str, Any], context: str, continuation: str) -> EchoScore:
    """log P(continuation | context) from one echoed completion choice of `context + continuation`,
    for a server whose echo log-probs are aligned.

    Trailing whitespace of the context is scored as part of the continuation, as the hf
    adapter does, so both backends score the same tokens.
    """
    tokens, offsets, values, tops = _lists(choice)
    start, end = continuation_span(offsets, len(context.rstrip()), len(context + continuation))
    if start >= end:
        raise EchoError("the continuation maps to no echoed token")
    total = 0.0
    greedy = True
    for i in range(start, end):
        value, dist = values[i], tops[i]
        if value is None or not math.isfinite(float(value)):
            raise EchoError(f"no log-prob for continuation token {i} ({tokens[i]!r}); the first token of a prompt cannot be scored over this API")
        total += float(value)
        if dist:
            greedy = greedy and float(value) >= max(float(v) for v in dist.values()) - 1e-6
    return EchoScore(logprob=total, is_greedy=greedy, n_tokens=end - start)


def score_echo_text(choice: Mapping[str, Any], text: str) -> EchoScore:
    """log P(text) from one echoed completion choice of `text` alone (a rolling request that
    fits the server's context), for a server whose echo log-probs are aligned.

    Every token that covers characters of `text` is summed. A token of no width at offset 0
    (a BOS the server put in front) is the condition, not part of the text. The first text
    token has a log-prob only when the server conditions it on such a BOS; otherwise it has
    none (None), and the text cannot be scored as lm-eval does (from BOS/EOS): an error."""
    tokens, offsets, values, _ = _lists(choice)
    n = len(offsets)
    total, count = 0.0, 0
    for i in range(n):
        if offsets[i] >= len(text):
            break  # generated after the echo
        end = offsets[i + 1] if i + 1 < n else len(text)
        if end <= offsets[i] and offsets[i] == 0:
            continue  # a zero-width BOS in front of the text
        value = values[i]
        if value is None or not math.isfinite(float(value)):
            raise EchoError(f"no log-prob for text token {i} ({tokens[i]!r}): the server adds no BOS, so the first "
                            "token of a text cannot be scored over this API; use an in-process adapter")
        total += float(value)
        count += 1
    if count == 0:
        raise EchoError("the text maps to no echoed token")
    return EchoScore(logprob=total, is_greedy=False, n_tokens=count)


def _shifted_reading(choice: Mapping[str, Any], context: str, continuation: str) -> float | None:
    """The value a shifted layout would give a one-token continuation (probe only)."""
    tokens, offsets, _, tops = _lists(choice)
    start, end = continuation_span(offsets, len(context.rstrip()), len(context + continuation))
    if end - start != 1 or start == 0 or tops[start - 1] is None:
        return None
    value = tops[start - 1].get(tokens[start])  # type: ignore[union-attr]
    return None if value is None else float(value)


def probe_alignment(generated: Mapping[str, Any], echoed: Mapping[str, Any], prompt: str, *, tolerance: float = 0.02) -> Alignment | None:
    """Which echo layout the server uses, from a known case: `generated` is the choice of a
    greedy one-token completion of `prompt` with logprobs (its log-prob is right on every
    server we know), `echoed` the choice of echoing `prompt + generated text`. Returns None
    when neither reading matches: the server's echo log-probs cannot be trusted."""
    gen = _logprobs_of(generated)
    text = generated.get("text") or ""
    expected = gen["token_logprobs"][0] if gen["token_logprobs"] else None
    if expected is None or not text:
        return None
    try:
        aligned = score_echo(echoed, prompt, text)
        if aligned.n_tokens == 1 and abs(aligned.logprob - float(expected)) <= tolerance:
            return Alignment.ALIGNED
    except EchoError:
        pass
    shifted = _shifted_reading(echoed, prompt, text)
    if shifted is not None and abs(shifted - float(expected)) <= tolerance:
        return Alignment.SHIFTED
    return None
