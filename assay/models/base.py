"""The `Model` protocol every adapter implements, and what a model says about itself.

Adapters own their batching (and, for APIs, their concurrency and retries). The engine
hands them lists of requests and gets one response per request back, in order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

from assay.core.hashing import stable_hash
from assay.core.requests import Generate, Loglikelihood
from assay.core.responses import Completion, LoglikelihoodResult


@dataclass(frozen=True)
class ModelInfo:
    """Who the model is. `identity` holds whatever pins the weights (file sha256, Hub
    revision); its hash is the model half of every cache key."""

    name: str
    adapter: str
    identity: Mapping[str, Any]
    parameters: int | None = None
    has_chat_template: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def cache_key(self) -> str:
        return stable_hash({"adapter": self.adapter, **dict(self.identity)})

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["identity"] = dict(self.identity)
        data["details"] = dict(self.details)
        return data


@dataclass(frozen=True)
class Capabilities:
    loglikelihood: bool = True
    generate: bool = True
    chat: bool = False


@dataclass(frozen=True)
class ModelOptions:
    """Settings the user may give any adapter. `batch_size=None` means automatic."""

    batch_size: int | None = None
    device: str | None = None
    cache_dir: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


ProgressCallback = Callable[[str], None]
"""Receives human-readable progress lines (e.g. 'converting GGUF, ~40 s, cached after')."""


@runtime_checkable
class Model(Protocol):
    info: ModelInfo
    capabilities: Capabilities

    def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]: ...

    def generate(self, requests: Sequence[Generate]) -> list[Completion]: ...

    def close(self) -> None: ...
