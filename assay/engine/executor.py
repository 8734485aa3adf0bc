"""Answer a task's planned requests: deduplicate, look up the cache, batch, call the model.

The model is called one chunk at a time and each chunk's answers are handed to the cache
before the next chunk starts (its writer commits them within about half a second), so an
interrupted run loses at most the chunk in flight and the last half second of answers. A chunk whose
call raises becomes per-request errors (data, not a crash): the run finishes, the samples are
reported failed, and a rerun retries them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from assay.core.requests import Generate, Loglikelihood, Request, RequestKind
from assay.core.responses import Completion, LoglikelihoodResult, Response
from assay.engine.cache import ResponseCache
from assay.engine.prompts import PlannedSample
from assay.models.base import Model

SamplesDone = Callable[[int], None]
"""Called with the number of samples whose every request has just been answered."""


@dataclass
class ExecutionStats:
    """Counts for the run manifest: unique requests, cache hits, model calls, failures."""

    requests: int = 0
    unique: int = 0
    cache_hits: int = 0
    computed: int = 0
    failed: int = 0
    model_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def add(self, other: "ExecutionStats") -> None:
        self.requests += other.requests
        self.unique += other.unique
        self.cache_hits += other.cache_hits
        self.computed += other.computed
        self.failed += other.failed
        self.model_seconds += other.model_seconds
        self.errors.extend(other.errors[: max(0, 20 - len(self.errors))])

    def to_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "unique_requests": self.unique,
            "cache_hits": self.cache_hits,
            "computed": self.computed,
            "failed": self.failed,
            "model_seconds": round(self.model_seconds, 3),
        }


def _error_response(request: Request, message: str) -> Response:
    if request.kind is RequestKind.LOGLIKELIHOOD:
        return LoglikelihoodResult(logprob=float("nan"), is_greedy=False, n_tokens=0, error=message)
    return Completion(texts=(), error=message)


def _call(model: Model, chunk: Sequence[Request]) -> list[Response]:
    kind = chunk[0].kind
    try:
        if kind is RequestKind.LOGLIKELIHOOD:
            out: list[Response] = list(model.loglikelihood([r for r in chunk if isinstance(r, Loglikelihood)]))
        else:
            out = list(model.generate([r for r in chunk if isinstance(r, Generate)]))
    except Exception as exc:  # noqa: BLE001 — a failing batch is reported per sample, not fatal
        message = f"{type(exc).__name__}: {exc}"
        return [_error_response(r, message) for r in chunk]
    if len(out) != len(chunk):
        message = f"adapter returned {len(out)} responses for {len(chunk)} requests"
        return [_error_response(r, message) for r in chunk]
    return out


def execute(
    model: Model,
    planned: Sequence[PlannedSample],
    cache: ResponseCache,
    *,
    chunk_size: int = 64,
    on_samples_done: SamplesDone | None = None,
) -> tuple[dict[str, Response], dict[str, bool], ExecutionStats]:
    """Answer every request of `planned`; returns responses by request key, whether each
    came from the cache, and the counts."""
    stats = ExecutionStats()
    keys_of = [[r.key() for r in p.requests] for p in planned]  # key() is memoized on the request
    unique: dict[str, Request] = {}
    for p, keys in zip(planned, keys_of):
        unique.update(zip(keys, p.requests))  # equal keys are equal requests: any one will do
        stats.requests += len(keys)
    stats.unique = len(unique)

    model_key = model.info.cache_key
    responses: dict[str, Response] = dict(cache.get_many(model_key, list(unique.values())))
    from_cache = dict.fromkeys(responses, True)
    stats.cache_hits = len(responses)

    # Samples with something left to compute, longest prompt first: the biggest batches run
    # (and fail, if memory is short) early, and a sample's requests stay adjacent.
    pending = [i for i, keys in enumerate(keys_of) if not responses or any(k not in responses for k in keys)]
    if on_samples_done is not None and len(planned) > len(pending):
        on_samples_done(len(planned) - len(pending))
    pending.sort(key=lambda i: -len(planned[i].prompt))
    by_sample: list[list[str]] = []  # each pending sample's keys that no earlier sample asks for
    remaining: dict[int, int] = {}  # sample -> how many of its distinct keys are unanswered
    users: dict[str, list[int]] = {}  # key -> the pending samples that wait for it
    for i in pending:
        todo = [k for k in dict.fromkeys(keys_of[i]) if k not in responses]
        remaining[i] = len(todo)
        fresh = []
        for key in todo:
            waiting = users.get(key)
            if waiting is None:
                users[key] = [i]
                fresh.append(key)
            else:
                waiting.append(i)
        if fresh:
            by_sample.append(fresh)

    for keys in _whole_sample_chunks(by_sample, chunk_size):
        chunk = [unique[k] for k in keys]
        began = time.perf_counter()
        answers = _call(model, chunk)
        stats.model_seconds += time.perf_counter() - began
        cache.put_many(model_key, zip(chunk, answers))
        done = 0
        for key, answer in zip(keys, answers):
            responses[key] = answer
            from_cache[key] = False
            if answer.error is None:
                stats.computed += 1
            else:
                stats.failed += 1
                if len(stats.errors) < 20:
                    stats.errors.append(answer.error)
            for i in users[key]:
                remaining[i] -= 1
                if remaining[i] == 0:
                    done += 1
        if on_samples_done is not None and done:
            on_samples_done(done)
    return responses, from_cache, stats


def _whole_sample_chunks(by_sample: list[list[str]], chunk_size: int) -> list[list[str]]:
    """Chunks of about `chunk_size` request keys that never split a sample's requests: an
    adapter that shares a context between a sample's options (hf) then sees them together.
    A sample with more than `chunk_size` requests forms a chunk of its own."""
    chunks: list[list[str]] = []
    current: list[str] = []
    for keys in by_sample:
        if current and len(current) + len(keys) > chunk_size:
            chunks.append(current)
            current = []
        current.extend(keys)
    if current:
        chunks.append(current)
    return chunks
