"""The two model protocols (`AsyncModel`, `BatchModel`), and what a model says about itself.

- `AsyncModel`: an API adapter (openai). `loglikelihood` / `generate` are coroutines that
  may be awaited from any event loop, concurrently, up to `max_concurrency` requests in
  flight; the adapter owns its retries.
- `BatchModel`: a local adapter (hf, llamacpp, vllm). Synchronous methods over lists, so
  the adapter can sort and batch; the engine calls them on a worker thread (a micro-batcher
  gathers queued requests into one list).

An adapter that can score whole texts (perplexity) also has `loglikelihood_rolling(list[
LoglikelihoodRolling]) -> list[RollingLoglikelihoodResult]` (a coroutine for an `AsyncModel`)
and says so with `Capabilities.loglikelihood_rolling`; it is not part of the protocols, so
adapters written before it still satisfy them.

Both hand back one response per request, in order. A failed request is data
(`Completion.error`); a *permanent* failure (see `assay.errors.PermanentModelError`) is raised.
`Model` is either kind; `is_async_model` tells them apart.
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence, Union, runtime_checkable

from assay.core.hashing import stable_hash
from assay.core.requests import Generate, Loglikelihood
from assay.core.responses import Completion, LoglikelihoodResult
from assay.errors import PermanentModelError


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
    """What the model can do, truthfully: the engine refuses a run that needs more
    (`check_capabilities`) before sending a request. `reason` says, in words, why a
    capability is missing (e.g. a server whose echo log-probs are shifted).
    `loglikelihood_rolling` (whole-text scoring, for perplexity) is off unless an adapter
    implements `loglikelihood_rolling` and says so."""

    loglikelihood: bool = True
    generate: bool = True
    chat: bool = False
    reason: str | None = None
    loglikelihood_rolling: bool = False


def check_capabilities(capabilities: Capabilities, needs_loglikelihood: bool, needs_generate: bool,
                       model_name: str, needs_loglikelihood_rolling: bool = False) -> None:
    """Raise `PermanentModelError` (reason "unsupported") when a run needs a request kind
    the model cannot serve; call it before the first request."""
    missing = [kind for kind, needed, able in (
        ("log-likelihood scoring", needs_loglikelihood, capabilities.loglikelihood),
        ("text generation", needs_generate, capabilities.generate),
        ("whole-text log-likelihood (perplexity)", needs_loglikelihood_rolling, capabilities.loglikelihood_rolling),
    ) if needed and not able]
    if not missing:
        return
    because = f": {capabilities.reason}" if capabilities.reason else ""
    if "log-likelihood scoring" in missing:
        hint = "use a task that generates (or a backend that scores, e.g. an in-process adapter)"
    elif missing[0].startswith("whole-text"):
        hint = "run perplexity with an in-process backend (hf:, gguf:, llamacpp:) or a server whose echo log-probs pass"
    else:
        hint = "use a log-likelihood task or another backend"
    raise PermanentModelError(f"the model '{model_name}' cannot do {' or '.join(missing)}, which this run needs{because}",
                              reason="unsupported", hint=hint)


def context_length_error(model_name: str, n_tokens: int, window: int, what: str,
                         hint: str = "shorten the prompts (e.g. fewer few-shot examples) or use a model with "
                                     "a longer context") -> PermanentModelError:
    """The error for a request of `n_tokens` that does not fit a `window`-token context:
    permanent, because every later request of the same shape would fail alike."""
    return PermanentModelError(f"{what} of {n_tokens} tokens does not fit the {window}-token context of "
                               f"'{model_name}'", reason="context_length", hint=hint)


@dataclass(frozen=True)
class ModelOptions:
    """Settings the user may give any adapter. `batch_size=None` means automatic.

    `extra` holds the adapter's own settings as given: strings from the CLI's
    `--model-arg KEY=VALUE`, or typed values from Python. Each adapter parses them once
    through its settings model (`registry.adapter_settings(prefix)`), refusing unknown keys.
    """

    batch_size: int | None = None
    device: str | None = None
    cache_dir: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


ProgressCallback = Callable[[str], None]
"""Receives human-readable progress lines (e.g. 'converting GGUF, ~40 s, cached after')."""


@runtime_checkable
class BatchModel(Protocol):
    """A synchronous, batching model (hf, llamacpp, vllm): not thread-safe, one call at a time."""

    info: ModelInfo
    capabilities: Capabilities

    def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]: ...

    def generate(self, requests: Sequence[Generate]) -> list[Completion]: ...

    def close(self) -> None: ...


@runtime_checkable
class AsyncModel(Protocol):
    """An asynchronous model (API adapters): awaitable from any event loop, safe to call
    concurrently; it keeps at most `max_concurrency` requests in flight itself."""

    info: ModelInfo
    capabilities: Capabilities
    max_concurrency: int

    async def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]: ...

    async def generate(self, requests: Sequence[Generate]) -> list[Completion]: ...

    def close(self) -> None: ...


Model = Union[AsyncModel, BatchModel]
"""Any model adapter; `is_async_model` says which protocol it follows."""


def is_async_model(model: Any) -> bool:
    """Whether `model`'s request methods are coroutines (an `AsyncModel`), not batch calls."""
    return inspect.iscoroutinefunction(getattr(model, "generate", None))
