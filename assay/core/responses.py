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
    cpu_s: float | None = None
    """Process CPU seconds of the request's share of its batch (local adapters)."""
    energy_j: float | None = None
    """Joules of the request's share of its batch; `energy_kind` says how it was obtained."""
    energy_kind: str | None = None
    """"measured" (a hardware counter: RAPL, NVML), "estimated" (CPU time × a stated power
    figure) or "unavailable" (a counter could not be read for this window); None: not metered."""
    energy_source: str | None = None
    peak_rss_mb: float | None = None
    """The process's peak resident memory when the batch ended (MiB)."""
    gpu_peak_mb: float | None = None

    def to_dict(self) -> dict[str, Any]:
        # Written out by hand: dataclasses.asdict deep-copies field by field and was the
        # largest cost of caching and writing a run with an instant model.
        data = {"tokens_in": self.tokens_in, "tokens_out": self.tokens_out, "latency_s": self.latency_s,
                "ttft_s": self.ttft_s, "tpot_s": self.tpot_s}
        if self.energy_kind is not None or self.cpu_s is not None or self.peak_rss_mb is not None:
            # Metered fields only when present, so unmetered answers (and caches written
            # before meters existed) keep their exact form; `from_dict` defaults them.
            data.update(cpu_s=self.cpu_s, energy_j=self.energy_j, energy_kind=self.energy_kind,
                        energy_source=self.energy_source, peak_rss_mb=self.peak_rss_mb,
                        gpu_peak_mb=self.gpu_peak_mb)
        return data

    @property
    def metered(self) -> bool:
        return self.energy_kind is not None or self.cpu_s is not None or self.peak_rss_mb is not None

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Usage":
        """A usage from its JSON form; keys it does not know (from a newer assay) are ignored."""
        return cls(**{k: v for k, v in (data or {}).items() if k in _USAGE_FIELDS})


_USAGE_FIELDS = frozenset(Usage.__dataclass_fields__)


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
        metered = (u.cpu_s, u.energy_j, u.peak_rss_mb, u.gpu_peak_mb) if u.metered else ()
        if (self.error is not None or type(self.n_tokens) is not int or type(u.tokens_in) is not int
                or type(u.tokens_out) is not int or any(type(x) is not float for x in numbers)
                or any(x is not None and type(x) is not float for x in optional + metered)
                or (u.metered and any(x is not None and type(x) is not str for x in (u.energy_kind, u.energy_source)))):
            return json.dumps(self.to_dict())
        ttft, tpot = ("null" if x is None else _float(x) for x in optional)
        meters = ""
        if u.metered:  # the meters' fields (assay.engine.meters), in `Usage.to_dict`'s order
            cpu, energy, rss, gpu = ("null" if x is None else _float(x) for x in metered)
            meters = (f', "cpu_s": {cpu}, "energy_j": {energy}, "energy_kind": {json.dumps(u.energy_kind)}, '
                      f'"energy_source": {json.dumps(u.energy_source)}, "peak_rss_mb": {rss}, "gpu_peak_mb": {gpu}')
        return (f'{{"logprob": {_float(self.logprob)}, "is_greedy": {"true" if self.is_greedy else "false"}, '
                f'"n_tokens": {self.n_tokens}, "usage": {{"tokens_in": {u.tokens_in}, "tokens_out": {u.tokens_out}, '
                f'"latency_s": {_float(u.latency_s)}, "ttft_s": {ttft}, "tpot_s": {tpot}{meters}}}, "error": null}}')

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LoglikelihoodResult":
        return cls(**{**data, "usage": Usage.from_dict(data.get("usage"))})


@dataclass(frozen=True)
class RollingLoglikelihoodResult:
    """log P(text), summed over all of the text's `n_tokens` tokens (each scored once), for a
    `LoglikelihoodRolling` request. Words and bytes are the scorer's to count, from the text.

    `token_logprobs` (each token's log-probability) and `token_means` / `token_stds` (the
    mean and standard deviation of log p(z) over the whole vocabulary z at each position)
    are filled only when asked for (membership scores: Min-K% and Min-K%++); they are left
    out of `to_dict` when absent, so results cached without them read back unchanged."""

    logprob: float
    n_tokens: int
    usage: Usage = Usage()
    error: str | None = None
    token_logprobs: tuple[float, ...] | None = None
    token_means: tuple[float, ...] | None = None
    token_stds: tuple[float, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"logprob": self.logprob, "n_tokens": self.n_tokens, "usage": self.usage.to_dict(),
                               "error": self.error}
        for name in ("token_logprobs", "token_means", "token_stds"):
            value = getattr(self, name)
            if value is not None:
                out[name] = list(value)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RollingLoglikelihoodResult":
        tokens = {k: tuple(data[k]) for k in ("token_logprobs", "token_means", "token_stds") if data.get(k) is not None}
        return cls(**{**data, **tokens, "usage": Usage.from_dict(data.get("usage"))})


@dataclass(frozen=True)
class Completion:
    """Generated text (one per requested sample in `texts`; `text` is the first)."""

    texts: tuple[str, ...]
    finish_reason: str | None = None
    usage: Usage = Usage()
    error: str | None = None
    tool_calls: tuple[tuple[str, str, str], ...] | None = None
    """Native tool calls of the (first) answer: (call id, tool name, arguments JSON text);
    left out of `to_dict` when None, so cached completions read back unchanged."""

    @property
    def text(self) -> str:
        return self.texts[0] if self.texts else ""

    def to_dict(self) -> dict[str, Any]:
        data = {"texts": list(self.texts), "finish_reason": self.finish_reason, "usage": self.usage.to_dict(),
                "error": self.error}
        if self.tool_calls is not None:
            data["tool_calls"] = [list(call) for call in self.tool_calls]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Completion":
        return cls(
            texts=tuple(data["texts"]),
            finish_reason=data.get("finish_reason"),
            usage=Usage.from_dict(data.get("usage")),
            error=data.get("error"),
            tool_calls=None if data.get("tool_calls") is None else tuple(tuple(c) for c in data["tool_calls"]),
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
