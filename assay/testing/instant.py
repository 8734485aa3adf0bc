"""A model-free adapter for engine tests and harness-overhead benchmarks — never a stand-in
for a real model where one can run.

`InstantModel` answers at once and deterministically (a hash of the request), counts what it
was asked, and can be told to fail some requests, so the engine's caching, dedup, failure
handling and resumption can be tested exactly. `delay_s` makes each batch call take that
long, so a test can kill a run part-way through.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from assay.core.requests import Generate, Loglikelihood, LoglikelihoodRolling, Request
from assay.core.responses import Completion, LoglikelihoodResult, RollingLoglikelihoodResult, Usage
from assay.models.base import Capabilities, ModelInfo


@functools.lru_cache(maxsize=4096)
def _usage(tokens_in: int) -> Usage:
    """Usage is immutable, so equal ones are shared: the adapter answers without building one each time."""
    return Usage(tokens_in=tokens_in)


def _cut(text: str, stop: Sequence[str]) -> str:
    """`text` up to the first occurrence of any stop sequence (excluded)."""
    for s in stop:
        at = text.find(s) if s else -1
        if at >= 0:
            text = text[:at]
    return text


@dataclass
class InstantModel:
    """Deterministic instant answers: log-likelihood in (-10, 0], text from `reply` cut at the
    first stop sequence (as a real server does); each batch call sleeps `delay_s` first."""

    name: str = "instant"
    reply: Callable[[Generate], str] = lambda req: "42"
    fail_if: Callable[[Request], bool] = lambda req: False
    calls: list[Request] = field(default_factory=list)
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        self.info = ModelInfo(name=self.name, adapter="instant", identity={"name": self.name})
        self.capabilities = Capabilities(loglikelihood=True, generate=True, chat=False, loglikelihood_rolling=True)

    def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]:
        if self.delay_s:
            time.sleep(self.delay_s)
        self.calls.extend(requests)
        fail_if, out = self.fail_if, []
        for r in requests:
            if fail_if(r):
                out.append(LoglikelihoodResult(float("nan"), False, 0, error="injected failure"))
                continue
            value = -10.0 * int(r.key()[:6], 16) / 0xFFFFFF  # the key is the request's stable hash, memoized
            out.append(LoglikelihoodResult(value, False, max(1, len(r.continuation) // 4), _usage(len(r.context) // 4)))
        return out

    def loglikelihood_rolling(self, requests: Sequence[LoglikelihoodRolling]) -> list[RollingLoglikelihoodResult]:
        """A text's "tokens" are its whitespace-separated words plus one; each costs a
        deterministic (-10, 0] nats from the request's hash (0 tokens for an empty text)."""
        if self.delay_s:
            time.sleep(self.delay_s)
        self.calls.extend(requests)
        out = []
        for r in requests:
            if self.fail_if(r):
                out.append(RollingLoglikelihoodResult(float("nan"), 0, error="injected failure"))
                continue
            n = len(r.text.split()) + 1 if r.text else 0
            per_token = -10.0 * int(r.key()[:6], 16) / 0xFFFFFF
            out.append(RollingLoglikelihoodResult(per_token * n, n, _usage(n)))
        return out

    def generate(self, requests: Sequence[Generate]) -> list[Completion]:
        if self.delay_s:
            time.sleep(self.delay_s)
        self.calls.extend(requests)
        return [
            Completion(texts=(), error="injected failure") if self.fail_if(r)
            else Completion(texts=(_cut(self.reply(r), r.params.stop),), finish_reason="stop",
                            usage=Usage(tokens_out=1))
            for r in requests
        ]

    def close(self) -> None:
        return None
