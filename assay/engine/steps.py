"""Answering a solver's steps: the cache first, then requests already in flight, then the model.

Each model a run talks to (the one under evaluation, a judge, a simulated user) has a
`Lane`: its cache identity, its dispatcher, and the answers known so far. A step's
requests are looked up by content key: an answer known in this run, or stored in the
response cache by an earlier one, is returned without a model call; a request another
sample has already sent is awaited rather than sent twice; the rest go to the model as
one unit. Every successful answer is handed to the response cache as soon as its batch
returns (the cache commits within half a second), so `kill -9` costs only what was in
flight, and a rerun replays every finished step from the cache.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from assay.core.requests import Generate, Loglikelihood, Request
from assay.core.responses import Completion, LoglikelihoodResult, Response
from assay.core.solver import PlannedSample, StepFailed
from assay.engine.cache import ResponseCache
from assay.engine.dispatch import Dispatcher, make_dispatcher


@dataclass
class ExecutionStats:
    """Counts for the run manifest: requests asked, distinct requests, cache hits, model
    answers, failures, and seconds spent in model calls."""

    requests: int = 0
    unique: int = 0
    cache_hits: int = 0
    computed: int = 0
    failed: int = 0
    model_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set, repr=False)

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


class Lane:
    """One model's path: cache identity, dispatcher, and this run's known answers."""

    def __init__(self, model: Any, cache: ResponseCache, max_batch: int, runner: "StepRunner") -> None:
        self.model = model
        self.name = model.info.name
        self.model_key = model.info.cache_key
        self._cache = cache
        self._runner = runner
        self.dispatcher: Dispatcher = make_dispatcher(model, max_batch, self._record)
        self.known: dict[str, tuple[Response, bool]] = {}  # key -> (answer, came from the cache)
        self.absent: set[str] = set()  # keys looked up in the cache and not found
        self.inflight: dict[str, tuple[asyncio.Future, int]] = {}  # key -> (its unit's future, position)

    def _record(self, requests: Sequence[Request], answers: Sequence[Response], seconds: float) -> None:
        self._cache.put_many(self.model_key, zip(requests, answers))
        self._runner.stats.model_seconds += seconds

    def prefetch(self, requests: Iterable[Request]) -> None:
        """Look up many requests in the cache at once (a task's first steps)."""
        wanted = {r.key(): r for r in requests}
        self.look_up({k: r for k, r in wanted.items() if k not in self.known and k not in self.absent})

    def look_up(self, wanted: dict[str, Request]) -> int:
        """Ask the response cache for these requests (by key): found answers become known,
        the rest are remembered as absent. Returns how many were found."""
        if not wanted:
            return 0
        found = self._cache.get_many(self.model_key, list(wanted.values()))
        for key, answer in found.items():
            self.known[key] = (answer, True)
        self.absent.update(k for k in wanted if k not in found)
        return len(found)


class StepRunner:
    """Answers steps for every lane of one run; `stats` counts the current task's work."""

    def __init__(self, model: Any, cache: ResponseCache, max_batch: int = 64) -> None:
        self.cache = cache
        self.max_batch = max_batch
        self.stats = ExecutionStats()
        self._lanes: dict[int, Lane] = {}
        self.main = self.lane(model)

    def lane(self, model: Any) -> Lane:
        lane = self._lanes.get(id(model))
        if lane is None:
            lane = self._lanes[id(model)] = Lane(model, self.cache, self.max_batch, self)
        return lane

    async def answer(self, lane: Lane, requests: Sequence[Request]) -> tuple[list[Response], bool]:
        """The answers to `requests`, in order, and whether all of them came from the cache."""
        stats = self.stats
        stats.requests += len(requests)
        seen, known, inflight = stats._seen, lane.known, lane.inflight
        keys = [r.key() for r in requests]
        out: list[Response | None] = [None] * len(requests)
        from_cache = True
        todo: list[int] = []
        for i, key in enumerate(keys):
            new = key not in seen
            if new:
                seen.add(key)
                stats.unique += 1
            hit = known.get(key)
            if hit is None:
                todo.append(i)
            else:
                out[i] = hit[0]
                if not hit[1]:
                    from_cache = False
                elif new:
                    stats.cache_hits += 1
        if not todo:
            return out, from_cache  # type: ignore[return-value]

        absent = lane.absent
        lookup = {keys[i]: requests[i] for i in todo if keys[i] not in absent and keys[i] not in inflight}
        # Not prefetched (a later step of a multi-step sample): ask the cache first.
        stats.cache_hits += lane.look_up(lookup)
        send: dict[str, Request] = {}
        waits: list[tuple[int, asyncio.Future, int]] = []
        for i in todo:
            key = keys[i]
            hit = known.get(key)
            if hit is not None:
                out[i] = hit[0]
                from_cache = from_cache and hit[1]
                continue
            from_cache = False
            shared = inflight.get(key)
            if shared is not None:  # another sample's unit carries it: wait for that unit
                waits.append((i, shared[0], shared[1]))
            elif key not in send:
                send[key] = requests[i]
        if send:
            # One future per unit, not per request: other samples asking for one of these
            # requests meanwhile wait on it and read their answer at its position.
            unit = asyncio.get_running_loop().create_future()
            for position, key in enumerate(send):
                inflight[key] = (unit, position)
            answers = await self._send(lane, send, unit)
            by_key = dict(zip(send, answers))
            for i in todo:
                if out[i] is None and keys[i] in by_key:
                    out[i] = by_key[keys[i]]
        for i, future, position in waits:
            out[i] = (await future)[position]
        return out, from_cache  # type: ignore[return-value]

    async def _send(self, lane: Lane, send: dict[str, Request], unit: asyncio.Future) -> list[Response]:
        """Dispatch one unit; its answers also resolve `unit`, which other samples may share."""
        try:
            answers = await lane.dispatcher.answer(list(send.values()))
        except BaseException as exc:
            for key in send:
                lane.inflight.pop(key, None)
            if not unit.done():
                if isinstance(exc, Exception):
                    unit.set_exception(exc)
                    unit.add_done_callback(_retrieve)
                else:
                    unit.cancel()
            raise
        stats = self.stats
        known, inflight = lane.known, lane.inflight
        for key, answer in zip(send, answers):
            inflight.pop(key, None)
            if answer.error is None:
                known[key] = (answer, False)
                stats.computed += 1
            else:
                stats.failed += 1
                if len(stats.errors) < 20:
                    stats.errors.append(answer.error)
        if not unit.done():
            unit.set_result(answers)
        return answers

    async def aclose(self) -> None:
        for lane in self._lanes.values():
            await lane.dispatcher.aclose()


def _retrieve(future: asyncio.Future) -> None:
    """Mark a shared future's exception as seen: the sample that sent it re-raises it."""
    if not future.cancelled():
        future.exception()


class SampleContext:
    """The `StepContext` one sample's solver gets: steps go through the run's `StepRunner`;
    it remembers whether every answer came from the cache, and the steps taken."""

    __slots__ = ("_runner", "planned", "steps", "cached")

    def __init__(self, runner: StepRunner, planned: PlannedSample) -> None:
        self._runner = runner
        self.planned = planned
        self.steps: list[tuple[str, Sequence[Request], list[Response]]] = []
        self.cached = True

    async def step(self, requests: Sequence[Request], *, model: Any = None) -> list[Response]:
        runner = self._runner
        lane = runner.main if model is None else runner.lane(model)
        answers, cached = await runner.answer(lane, requests)
        self.cached = self.cached and cached
        self.steps.append((lane.name, requests, answers))
        for answer in answers:
            if answer.error is not None:
                raise StepFailed(answer.error)
        return answers

    async def loglikelihood(self, requests: Sequence[Loglikelihood], *, model: Any = None) -> list[LoglikelihoodResult]:
        return await self.step(requests, model=model)  # type: ignore[return-value]

    async def generate(self, request: Generate, *, model: Any = None) -> Completion:
        (answer,) = await self.step((request,), model=model)
        return answer  # type: ignore[return-value]

    def transcript(self) -> list[dict[str, Any]]:
        """The steps as JSON-ready dicts (kept in the sample's record when there were several)."""
        return [{"model": name, "requests": [r.to_dict() for r in reqs], "responses": [a.to_dict() for a in answers]}
                for name, reqs, answers in self.steps]
