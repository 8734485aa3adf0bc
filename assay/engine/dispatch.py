"""Getting requests to a model: a micro-batcher for local adapters, a concurrency gate for APIs.

Both take *units* (the requests of one step of one sample) and answer each unit as a
whole, so an adapter that shares a context between a sample's options (hf) sees them
together. Neither has a chunk barrier: a unit waits only for its own answer.

- `MicroBatcher` (local, synchronous batch adapters: hf, llamacpp, vllm): units queue up
  while the model works; each time the worker thread is free, the queued units of one
  request kind (oldest first, whole units, up to `max_batch` requests) become one batch.
  The event loop keeps running solvers while the model computes, so the next batch is
  ready when this one ends.
- `ConcurrentDispatcher` (async adapters: openai): each unit is its own call, at most
  `limit` in flight. A request waiting on Retry-After or a stalled connection holds only
  its own slot.

A batch that raises `PermanentModelError` fails every unit in it with that error (the run
stops); any other exception becomes per-request error responses (data: the samples are
reported failed and a rerun retries them).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Sequence

from assay.core.requests import Generate, Loglikelihood, LoglikelihoodRolling, Request, RequestKind
from assay.core.responses import Completion, LoglikelihoodResult, Response, RollingLoglikelihoodResult
from assay.engine.meters import attach, default_meter
from assay.errors import PermanentModelError
from assay.models.base import is_async_model

Recorder = Callable[[Sequence[Request], Sequence[Response], float], None]
"""Called after each model call with its requests, their answers and the call's seconds
(from the worker thread, for the micro-batcher: it may block briefly on the cache queue
without holding up the event loop)."""


def error_response(request: Request, message: str) -> Response:
    """A failed answer of the request's kind (data, never cached)."""
    if request.kind is RequestKind.LOGLIKELIHOOD:
        return LoglikelihoodResult(logprob=float("nan"), is_greedy=False, n_tokens=0, error=message)
    if request.kind is RequestKind.LOGLIKELIHOOD_ROLLING:
        return RollingLoglikelihoodResult(logprob=float("nan"), n_tokens=0, error=message)
    return Completion(texts=(), error=message)


def _checked(requests: Sequence[Request], answers: Any) -> list[Response]:
    out = list(answers)
    if len(out) != len(requests):
        message = f"adapter returned {len(out)} responses for {len(requests)} requests"
        return [error_response(r, message) for r in requests]
    return out


def _call_batch(model: Any, kind: RequestKind, requests: list[Request]) -> list[Response]:
    """One synchronous adapter call; a transient exception becomes per-request errors."""
    try:
        if kind is RequestKind.LOGLIKELIHOOD:
            answers = model.loglikelihood([r for r in requests if isinstance(r, Loglikelihood)])
        elif kind is RequestKind.LOGLIKELIHOOD_ROLLING:
            answers = model.loglikelihood_rolling([r for r in requests if isinstance(r, LoglikelihoodRolling)])
        else:
            answers = model.generate([r for r in requests if isinstance(r, Generate)])
    except PermanentModelError:
        raise
    except Exception as exc:  # noqa: BLE001 — a failing batch is reported per sample, not fatal
        message = f"{type(exc).__name__}: {exc}"
        return [error_response(r, message) for r in requests]
    return _checked(requests, answers)


async def by_kind_in_order(
    requests: Sequence[Request], answer_part: Callable[[RequestKind, list[Request]], Awaitable[list[Response]]],
) -> list[Response]:
    """Answer a step one request kind at a time (an adapter call takes one kind) and put
    the answers back in the step's order. A one-kind step is one call."""
    parts: dict[RequestKind, list[Request]] = {}
    for request in requests:
        parts.setdefault(request.kind, []).append(request)
    if len(parts) == 1:
        ((kind, part),) = parts.items()
        return await answer_part(kind, part)
    answered = await asyncio.gather(*(answer_part(kind, part) for kind, part in parts.items()))
    iters = {kind: iter(answers) for kind, answers in zip(parts, answered)}
    return [next(iters[r.kind]) for r in requests]


@dataclass
class _Unit:
    seq: int
    requests: list[Request]
    future: asyncio.Future


class MicroBatcher:
    """Batches the queued units of a synchronous batch adapter on one worker thread."""

    def __init__(self, model: Any, max_batch: int = 64, record: Recorder | None = None) -> None:
        self.model = model
        self.max_batch = max(1, max_batch)
        self._record = record
        self._queues: dict[RequestKind, deque[_Unit]] = {k: deque() for k in RequestKind}
        self._seq = itertools.count()
        self._wakeup: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assay-model")
        self.batches = 0
        self.meter = default_meter()  # each batch's CPU time, energy and peak memory, shared among its answers

    async def answer(self, requests: Sequence[Request]) -> list[Response]:
        if not requests:
            return []
        return await by_kind_in_order(requests, self._queue_unit)

    async def _queue_unit(self, kind: RequestKind, requests: list[Request]) -> list[Response]:
        """Queue one unit of a single kind and wait for its batch."""
        loop = asyncio.get_running_loop()
        if self._worker is None:
            self._wakeup = asyncio.Event()
            self._worker = loop.create_task(self._work(), name="assay-micro-batcher")
        future = loop.create_future()
        self._queues[kind].append(_Unit(next(self._seq), requests, future))
        assert self._wakeup is not None
        self._wakeup.set()
        return await future

    def _take(self) -> tuple[RequestKind, list[_Unit]] | None:
        heads = [(q[0].seq, kind) for kind, q in self._queues.items() if q]
        if not heads:
            return None
        _, kind = min(heads)
        queue = self._queues[kind]
        units = [queue.popleft()]
        size = len(units[0].requests)
        while queue and size + len(queue[0].requests) <= self.max_batch:
            unit = queue.popleft()
            units.append(unit)
            size += len(unit.requests)
        return kind, units

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._wakeup is not None
        while True:
            taken = self._take()
            if taken is None:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            kind, units = taken
            units = [u for u in units if not u.future.cancelled()]
            if not units:
                continue
            requests = [r for u in units for r in u.requests]
            try:
                answers = await loop.run_in_executor(self._pool, self._run, kind, requests)
            except BaseException as exc:  # PermanentModelError, or cancellation of the worker
                for u in units:
                    if not u.future.done():
                        u.future.set_exception(exc if isinstance(exc, Exception) else asyncio.CancelledError())
                if not isinstance(exc, Exception):
                    raise
                continue
            self.batches += 1
            start = 0
            for u in units:
                end = start + len(u.requests)
                if not u.future.done():
                    u.future.set_result(answers[start:end])
                start = end

    def _run(self, kind: RequestKind, requests: list[Request]) -> list[Response]:
        began = time.perf_counter()
        mark = self.meter.start()
        answers = attach(_call_batch(self.model, kind, requests), self.meter.stop(mark))
        if self._record is not None:
            self._record(requests, answers, time.perf_counter() - began)
        return answers

    async def aclose(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None
        for queue in self._queues.values():
            for unit in queue:
                if not unit.future.done():
                    unit.future.cancel()
            queue.clear()
        self._pool.shutdown(wait=True)


class ConcurrentDispatcher:
    """Sends each unit of an async adapter as its own call, at most `limit` at a time."""

    def __init__(self, model: Any, limit: int, record: Recorder | None = None) -> None:
        self.model = model
        self.limit = max(1, limit)
        self._record = record
        self._gate: asyncio.Semaphore | None = None
        self.batches = 0

    async def answer(self, requests: Sequence[Request]) -> list[Response]:
        if not requests:
            return []
        if self._gate is None:
            self._gate = asyncio.Semaphore(self.limit)
        async with self._gate:  # one slot per step, whatever its kinds
            began = time.perf_counter()
            answers = await by_kind_in_order(requests, self._call)
            self.batches += 1
            if self._record is not None:
                self._record(requests, answers, time.perf_counter() - began)
            return answers

    async def _call(self, kind: RequestKind, requests: list[Request]) -> list[Response]:
        try:
            if kind is RequestKind.LOGLIKELIHOOD:
                answers = await self.model.loglikelihood(requests)
            elif kind is RequestKind.LOGLIKELIHOOD_ROLLING:
                answers = await self.model.loglikelihood_rolling(requests)
            else:
                answers = await self.model.generate(requests)
        except PermanentModelError:
            raise
        except Exception as exc:  # noqa: BLE001 — reported per sample, not fatal
            message = f"{type(exc).__name__}: {exc}"
            return [error_response(r, message) for r in requests]
        return _checked(requests, answers)

    async def aclose(self) -> None:
        return None


Dispatcher = MicroBatcher | ConcurrentDispatcher


def make_dispatcher(model: Any, max_batch: int, record: Recorder | None = None) -> Dispatcher:
    """The right dispatcher for an adapter: async adapters declare `max_concurrency`."""
    own = getattr(model, "make_dispatcher", None)
    if callable(own):  # a model served elsewhere brings its own (assay.engine.executors.ray)
        return own(max_batch, record)
    if is_async_model(model):
        return ConcurrentDispatcher(model, int(getattr(model, "max_concurrency", 4) or 4), record)
    return MicroBatcher(model, max_batch, record)
