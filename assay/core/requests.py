"""Requests: the only things a model ever sees.

Three kinds, as in lm-evaluation-harness, each batched over lists so a backend can sort and
batch: `Loglikelihood` (log P(continuation | context)), `LoglikelihoodRolling` (log P of a
whole text, windowed when it is longer than the model's context) and `Generate` (a
completion of a raw prompt or of chat messages). Requests are frozen and hashable; `key()` is a hash of
everything that affects the answer, and (with the model's identity) the cache key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from json.encoder import encode_basestring as _json_string  # what json.dumps(ensure_ascii=False) uses for str
from typing import Any, Union

from assay.core.hashing import canonical_json, sha256_hex
from assay.core.messages import ChatMessage


class RequestKind(str, Enum):
    LOGLIKELIHOOD = "loglikelihood"
    GENERATE = "generate"
    LOGLIKELIHOOD_ROLLING = "loglikelihood_rolling"


class _Keyed:
    """`key()` and `canonical()` for a request class that defines `to_dict()`.

    The engine, the cache and the scorer each ask for a request's key; the canonical JSON
    and its hash are computed once per request and kept on it."""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def key(self) -> str:
        # Memoized in the instance dict (frozen dataclasses allow that; equality and hash
        # read the fields only). Not functools.cached_property: on Python 3.11 it takes a
        # lock on every read, and the engine reads each key several times.
        memo = self.__dict__
        key = memo.get("_key")
        if key is None:
            key = memo["_key"] = sha256_hex(self.canonical())
        return key

    def canonical(self) -> str:
        """The canonical JSON the key hashes (what the cache stores as the request)."""
        memo = self.__dict__
        text = memo.get("_canonical")
        if text is None:
            text = memo["_canonical"] = self._encode()
        return text

    def _encode(self) -> str:
        return canonical_json(self.to_dict())


@dataclass(frozen=True)
class Loglikelihood(_Keyed):
    """Score `continuation` given `context`. An empty context means "from the start of text"."""

    context: str
    continuation: str
    kind: RequestKind = field(default=RequestKind.LOGLIKELIHOOD, init=False)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "context": self.context, "continuation": self.continuation}

    def _encode(self) -> str:
        # The same text as canonical_json(self.to_dict()) (a test checks it), assembled from
        # the C string encoder json itself uses: the key of every multiple-choice option is
        # computed once per run, and the generic dict encoding was most of that cost.
        return (f'{{"context":{_json_string(self.context)},"continuation":{_json_string(self.continuation)},'
                f'"kind":"{self.kind.value}"}}')


@dataclass(frozen=True)
class LoglikelihoodRolling(_Keyed):
    """Score a whole `text` from the start: the sum of every token's log-probability, as
    lm-evaluation-harness's `loglikelihood_rolling` (perplexity) means it. The first token is
    conditioned on the model's prefix token (BOS, else EOS); a text longer than the model's
    context is scored in windows, each token exactly once (`assay.models.windows`)."""

    text: str
    kind: RequestKind = field(default=RequestKind.LOGLIKELIHOOD_ROLLING, init=False)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "text": self.text}


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings. `temperature == 0` means greedy; `seed` makes sampling repeatable."""

    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    n: int = 1

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "stop": list(self.stop),
            "seed": self.seed,
            "n": self.n,
        }


@dataclass(frozen=True)
class Generate(_Keyed):
    """Complete a raw `prompt`, or a chat conversation `messages` (exactly one is set)."""

    prompt: str | None = None
    messages: tuple[ChatMessage, ...] | None = None
    params: GenerationParams = GenerationParams()
    tools: str | None = None
    """The tools offered, as the canonical JSON of a list in the OpenAI tool-call format (a
    string, so the request stays hashable); None offers none and leaves the key unchanged."""
    kind: RequestKind = field(default=RequestKind.GENERATE, init=False)

    def __post_init__(self) -> None:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("Generate needs exactly one of `prompt` or `messages`")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "prompt": self.prompt,
            "messages": None if self.messages is None else [m.to_dict() for m in self.messages],
            "params": self.params.to_dict(),
        } | ({} if self.tools is None else {"tools": self.tools})



Request = Union[Loglikelihood, LoglikelihoodRolling, Generate]
