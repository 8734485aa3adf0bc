"""What a model returns for a request, with its usage: tokens, latency, errors.

A failed request is data, not an exception: `error` holds the message so a run finishes
and reports the sample as failed (and a rerun retries it, since failures are not cached).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Union


def _float(x: float) -> str:
    """A float as `json.dumps` writes it: its repr when finite (what json uses), and json's
    own spelling of NaN and the infinities otherwise."""
    return float.__repr__(x) if math.isfinite(x) else json.dumps(x)


@dataclass(frozen=True)
class Usage:
    """Tokens and time spent on one request. `latency_s` is the request's share of its batch
    (or, over an API, its wall time); `ttft_s` the time to the first output token and
    `tpot_s` the time per output token after it, where the backend streams."""

    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0
    ttft_s: float | None = None
    tpot_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        # Written out by hand: dataclasses.asdict deep-copies field by field and was the
        # largest cost of caching and writing a run with an instant model.
        return {"tokens_in": self.tokens_in, "tokens_out": self.tokens_out, "latency_s": self.latency_s,
                "ttft_s": self.ttft_s, "tpot_s": self.tpot_s}


@dataclass(frozen=True)
class LoglikelihoodResult:
    """log P(continuation | context), summed over the continuation's tokens.

    `is_greedy` says whether greedy decoding would have produced the continuation;
    `n_tokens` is the continuation's length in tokens.
    """

    logprob: float
    is_greedy: bool
    n_tokens: int
    usage: Usage = Usage()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"logprob": self.logprob, "is_greedy": self.is_greedy, "n_tokens": self.n_tokens,
                "usage": self.usage.to_dict(), "error": self.error}

    def to_json(self) -> str:
        """`json.dumps(self.to_dict())`, byte for byte (a test checks it). Written out for the
        usual field types because the response cache encodes one per multiple-choice
        option, and the generic encoder was a tenth of the harness's own time."""
        u = self.usage
        numbers = (self.logprob, u.latency_s)
        optional = (u.ttft_s, u.tpot_s)
        if (self.error is not None or type(self.n_tokens) is not int or type(u.tokens_in) is not int
                or type(u.tokens_out) is not int or any(type(x) is not float for x in numbers)
                or any(x is not None and type(x) is not float for x in optional)):
            return json.dumps(self.to_dict())
        ttft, tpot = ("null" if x is None else _float(x) for x in optional)
        return (f'{{"logprob": {_float(self.logprob)}, "is_greedy": {"true" if self.is_greedy else "false"}, '
                f'"n_tokens": {self.n_tokens}, "usage": {{"tokens_in": {u.tokens_in}, "tokens_out": {u.tokens_out}, '
                f'"latency_s": {_float(u.latency_s)}, "ttft_s": {ttft}, "tpot_s": {tpot}}}, "error": null}}')

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LoglikelihoodResult":
        return cls(**{**data, "usage": Usage(**data.get("usage", {}))})


@dataclass(frozen=True)
class RollingLoglikelihoodResult:
    """log P(text), summed over all of the text's `n_tokens` tokens (each scored once), for a
    `LoglikelihoodRolling` request. Words and bytes are the scorer's to count, from the text."""

    logprob: float
    n_tokens: int
    usage: Usage = Usage()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"logprob": self.logprob, "n_tokens": self.n_tokens, "usage": self.usage.to_dict(),
                "error": self.error}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RollingLoglikelihoodResult":
        return cls(**{**data, "usage": Usage(**data.get("usage", {}))})


@dataclass(frozen=True)
class Completion:
    """Generated text (one per requested sample in `texts`; `text` is the first)."""

    texts: tuple[str, ...]
    finish_reason: str | None = None
    usage: Usage = Usage()
    error: str | None = None

    @property
    def text(self) -> str:
        return self.texts[0] if self.texts else ""

    def to_dict(self) -> dict[str, Any]:
        return {"texts": list(self.texts), "finish_reason": self.finish_reason, "usage": self.usage.to_dict(),
                "error": self.error}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Completion":
        return cls(
            texts=tuple(data["texts"]),
            finish_reason=data.get("finish_reason"),
            usage=Usage(**data.get("usage", {})),
            error=data.get("error"),
        )


@dataclass(frozen=True)
class ChoiceOutput:
    """The answers to a multiple-choice item: one result per option, in `Sample.choices` order."""

    results: tuple[LoglikelihoodResult, ...]

    @property
    def error(self) -> str | None:
        errors = [r.error for r in self.results if r.error]
        return errors[0] if errors else None


Response = Union[LoglikelihoodResult, RollingLoglikelihoodResult, Completion]
Output = Union[ChoiceOutput, RollingLoglikelihoodResult, Completion]
"""What a scorer sees for one sample."""
