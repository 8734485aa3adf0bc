"""Rolling windows: how a text longer than a model's context is scored, every token exactly once.

The rule is lm-evaluation-harness's `loglikelihood_rolling` (`get_rolling_token_windows`
followed by `make_disjoint_window`), reimplemented:

- the first window predicts the first `min(max_length, n)` tokens from the prefix token
  (BOS, else EOS), so the first token of the text is scored too;
- each later window predicts the next `stride` tokens (fewer at the end), reading the
  `max_length` tokens that precede its last prediction: a full window of context, even for
  a short last window.

`stride = max_length` (the default, lm-eval's `context_len=1`) gives disjoint windows; a
smaller stride gives every later prediction at least `max_length - stride` tokens of context
at the cost of more forward passes. Pure: token ids in, windows out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Window:
    """One forward pass: the model reads `context + targets[:-1]` (at most `max_length`
    tokens) and scores `targets` at its last `len(targets)` positions."""

    context: tuple[int, ...]
    targets: tuple[int, ...]

    @property
    def inputs(self) -> tuple[int, ...]:
        return (self.context + self.targets)[:-1]


def rolling_windows(tokens: Sequence[int], prefix_id: int, max_length: int, stride: int | None = None) -> list[Window]:
    """The windows that score `tokens` (the text's ids, without BOS) exactly once each.

    `max_length` is the most tokens one pass reads; `stride` (1..max_length, default
    `max_length`) how many tokens each window after the first predicts. An empty text has
    no windows (its log-likelihood is 0 over 0 tokens)."""
    if max_length < 1:
        raise ValueError(f"max_length must be at least 1, got {max_length}")
    stride = max_length if stride is None else stride
    if not 1 <= stride <= max_length:
        raise ValueError(f"stride must be in 1..{max_length}, got {stride}")
    ids = tuple(tokens)
    n = len(ids)
    if n == 0:
        return []
    first = min(max_length, n)
    windows = [Window((prefix_id,), ids[:first])]
    done = first
    while done < n:
        take = min(stride, n - done)
        end = done + take
        # The pass reads the max_length tokens before `end`'s last token (ids[end-1] is
        # predicted, never read); end - 1 - max_length >= 0 because done >= max_length here.
        start = end - 1 - max_length
        windows.append(Window(ids[start:done], ids[done:end]))
        done = end
    return windows
