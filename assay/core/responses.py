"""What a model returns for a request, with its usage: tokens, latency, errors.

A failed request is data, not an exception: `error` holds the message so a run finishes
and reports the sample as failed (and a rerun retries it, since failures are not cached).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LoglikelihoodResult":
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


Response = Union[LoglikelihoodResult, Completion]
Output = Union[ChoiceOutput, Completion]
"""What a scorer sees for one sample."""
