"""Running a model's requests on a Ray cluster: shards by content key, one model load per actor.

`RayExecutor.start` connects to a cluster (or starts a private local one), starts `workers`
actors (`ray_worker.ModelWorker`), has each load the model once, and checks before any request
that every worker loaded it, that all of them serve the same model (one cache identity), and
that driver and workers run the same Ray, Python and assay. It returns a `RayModel`: what the
engine sees in place of a local model. Its dispatcher sends each unit of requests to the live
worker that owns the unit's content key (`sharding.shard_of`), a few calls in flight per worker
so each worker's own micro-batcher always has the next batch queued.

Answers stream back to the driver as each call returns; the engine records them in the
response cache there (the only writer), so a run killed at any point resumes, with any worker
count, from the cache. A worker that dies (SIGKILL, a lost node) fails its in-flight and queued
units, which go to the next owner of their keys: none is lost, and none is answered twice (a
unit is recorded only from the call that returned it). The manifest's `executor` entry reports
the workers, their deaths and the retried units.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from assay.core.requests import Request
from assay.core.responses import Response
from assay.engine.dispatch import Recorder
from assay.engine.executors.sharding import shard_of
from assay.errors import ConfigError, PermanentModelError
from assay.models.base import Capabilities, ModelInfo

_SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD")


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("--executor ray needs Ray", field="--executor",
                          hint="pip install 'assay-eval[ray]' (ray==2.60.0)") from None
    return ray


def check_address(address: str | None) -> None:
    """Refuse, in seconds rather than after Ray's own minute of retries, an address that is
    malformed or where nothing listens. `None` (a private local instance) and `auto` (the
    cluster `ray start` recorded on this machine, or $RAY_ADDRESS) are left to Ray."""
    if address in (None, "auto", "local"):
        return
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"bad Ray address {address!r}", field="--ray-address",
                          hint="write auto, HOST:PORT (the head's GCS port, 6379 by default) or ray://HOST:10001")
    try:
        socket.create_connection((host, int(port)), timeout=3.0).close()
    except OSError as exc:
        raise ConfigError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}", field="--ray-address",
                          hint="start one with `ray start --head`, or check the address `ray status` prints") from None


def version_mismatches(driver: dict[str, str], worker: dict[str, str]) -> list[str]:
    """Each of Ray, Python, assay whose version differs between the driver and a worker, in words."""
    return [f"{name} {driver.get(name)} on the driver but {worker.get(name)} on the cluster"
            for name in ("ray", "python", "assay") if driver.get(name) != worker.get(name)]


def refuse_secrets(payload: dict[str, Any], environ: dict[str, str] | None = None) -> None:
    """Refuse to ship a value that is the value of a secret-looking environment variable (…KEY,
    …TOKEN, …SECRET, …PASSWORD): Ray object payloads travel and are stored in plain form. Keys
    belong in each worker's own environment, named by `api_key_env`."""
    env = os.environ if environ is None else environ
    secrets = {v for k, v in env.items() if v and len(v) >= 8 and any(w in k.upper() for w in _SECRET_WORDS)}

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{where}.{k}" if where else str(k))
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(v, f"{where}[{i}]")
        elif isinstance(value, str) and (value in secrets or any(s in value for s in secrets)):
            raise ConfigError(f"'{where}' holds the value of a secret environment variable; it would be sent to "
                              "the Ray workers in plain form", field=where,
                              hint="set the key in each worker's environment and name it with api_key_env=VAR")

    walk(payload, "")


class _WorkerDied(Exception):
    pass


@dataclass
class _Unit:
    requests: list[Request]
    future: asyncio.Future


@dataclass
class _Worker:
    name: str
    actor: Any
    pid: int
    node: str
    alive: bool = True
    calls: int = 0
    units: int = 0
    queue: deque[_Unit] = field(default_factory=deque)


class RayDispatcher:
    """The engine's dispatcher for a `RayModel`: units to their shard's worker, answers back."""

    def __init__(self, model: "RayModel", max_batch: int, record: Recorder | None) -> None:
        self._model = model
        self.max_batch = max(1, max_batch)
        self._record = record
        self._tasks: set[asyncio.Task] = set()
        self.batches = 0

    async def answer(self, requests: Sequence[Request]) -> list[Response]:
        if not requests:
            return []
        requests = list(requests)
        key = requests[0].key()
        loop = asyncio.get_running_loop()
        while True:
            worker = self._model._owner(key)
            unit = _Unit(requests, loop.create_future())
            worker.queue.append(unit)
            self._kick(worker)
            try:
                answers, seconds = await unit.future
            except _WorkerDied:
                self._model.retried_units += 1
                self._model.retried_requests += len(requests)
                continue
            if self._record is not None:
                self._record(requests, answers, seconds)
            return answers

    def _kick(self, worker: _Worker) -> None:
        depth = self._model.executor.in_flight_per_worker
        while worker.alive and worker.queue and worker.calls < depth:
            units = [worker.queue.popleft()]
            size = len(units[0].requests)
            while worker.queue and size + len(worker.queue[0].requests) <= self.max_batch:
                unit = worker.queue.popleft()
                units.append(unit)
                size += len(unit.requests)
            worker.calls += 1
            task = asyncio.get_running_loop().create_task(self._call(worker, units))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _call(self, worker: _Worker, units: list[_Unit]) -> None:
        ray = _ray()
        try:
            answers, seconds = await worker.actor.answer_units.remote([u.requests for u in units])
        except ray.exceptions.RayActorError as exc:
            self._model._mark_dead(worker, exc)
            for unit in units:
                if not unit.future.done():
                    unit.future.set_exception(_WorkerDied())
            return
        except ray.exceptions.RayTaskError as exc:  # raised by the adapter: PermanentModelError stops the run
            cause = getattr(exc, "cause", None)
            for unit in units:
                if not unit.future.done():
                    unit.future.set_exception(cause if isinstance(cause, Exception) else exc)
            return
        except BaseException as exc:
            for unit in units:
                if not unit.future.done():
                    unit.future.set_exception(exc if isinstance(exc, Exception) else asyncio.CancelledError())
            raise
        finally:
            worker.calls -= 1
        self.batches += 1
        worker.units += len(units)
        total = sum(len(u.requests) for u in units) or 1
        for unit, answer in zip(units, answers):
            if not unit.future.done():
                unit.future.set_result((answer, seconds * len(unit.requests) / total))
        self._kick(worker)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class RayModel:
    """A model served by Ray actors, as the engine sees it: the workers' `info` and
    `capabilities`, a dispatcher to them, and the executor's report for the manifest."""

    def __init__(self, executor: "RayExecutor", spec: str, workers: list[_Worker], info: ModelInfo,
                 capabilities: Capabilities | None, owns_ray: bool) -> None:
        self.executor = executor
        self.spec = spec
        self.info = info
        if capabilities is not None:
            self.capabilities = capabilities
        self._workers = workers
        self._owns_ray = owns_ray
        self.retried_units = 0
        self.retried_requests = 0
        self.deaths: list[dict[str, Any]] = []
        self.helpers: list[Any] = []  # actors that serve the workers (the shared rate limiter)

    @property
    def worker_pids(self) -> list[int]:
        """The workers' process ids (on their nodes), in start order."""
        return [w.pid for w in self._workers]

    def _owner(self, key: str) -> _Worker:
        alive = {w.name: w for w in self._workers if w.alive}
        if not alive:
            raise PermanentModelError(f"every Ray worker of {self.spec} has died ({len(self.deaths)} deaths); the "
                                      "answers received are in the cache, rerun to resume", reason="workers_lost")
        return alive[shard_of(key, list(alive))]

    def _mark_dead(self, worker: _Worker, exc: BaseException) -> None:
        if not worker.alive:
            return
        worker.alive = False
        self.deaths.append({"worker": worker.name, "pid": worker.pid, "node": worker.node,
                            "error": type(exc).__name__, "queued_units": len(worker.queue)})
        while worker.queue:
            unit = worker.queue.popleft()
            if not unit.future.done():
                unit.future.set_exception(_WorkerDied())

    def make_dispatcher(self, max_batch: int, record: Recorder | None = None) -> RayDispatcher:
        return RayDispatcher(self, max_batch, record)

    def executor_stats(self) -> dict[str, Any]:
        """For the manifest: the cluster, each worker's units answered, deaths and retries."""
        return {"kind": "ray", "address": self.executor.address or "local", "workers": len(self._workers),
                "alive": sum(w.alive for w in self._workers),
                "units": {w.name: w.units for w in self._workers},
                "nodes": sorted({w.node for w in self._workers}),
                "deaths": list(self.deaths), "retried_units": self.retried_units,
                "retried_requests": self.retried_requests}

    def close(self) -> None:
        ray = _ray()
        for actor in [w.actor for w in self._workers] + self.helpers:
            try:
                ray.kill(actor)
            except Exception:  # noqa: BLE001 — a dead actor, a gone cluster: nothing left to close
                pass
        if self._owns_ray and ray.is_initialized():
            ray.shutdown()


@dataclass(frozen=True)
class RayExecutor:
    """Where and how wide: `address` (None: a private local Ray; `auto`; `HOST:PORT`;
    `ray://HOST:PORT`), `workers` actors of `cpus_per_worker` CPUs (and `gpus_per_worker`),
    `in_flight_per_worker` calls queued at each."""

    address: str | None = None
    workers: int = 2
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0
    in_flight_per_worker: int = 2
    load_timeout_s: float = 900.0

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ConfigError(f"--workers must be at least 1, not {self.workers}", field="--workers")

    def _connect(self) -> bool:
        """Connect (or start a local instance); whether this call started Ray here."""
        ray = _ray()
        if ray.is_initialized():
            return False
        check_address(self.address)
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        kwargs: dict[str, Any] = {"log_to_driver": False, "logging_level": "ERROR", "namespace": "assay"}
        if self.address in (None, "local"):
            kwargs.update(include_dashboard=False, num_cpus=max(os.cpu_count() or 1, int(self.workers * self.cpus_per_worker)))
        else:
            kwargs["address"] = self.address
        try:
            ray.init(**kwargs)
        except ConnectionError as exc:
            raise ConfigError(f"cannot connect to the Ray cluster at {self.address}: {exc}", field="--ray-address",
                              hint="start one with `ray start --head`, or pass its address") from None
        except RuntimeError as exc:
            if "version mismatch" in str(exc).lower():
                raise ConfigError(f"Ray or Python differs between this machine and the cluster at {self.address}: "
                                  f"{exc}", field="--ray-address",
                                  hint="install the same ray and Python on the driver and every node") from None
            raise
        return True

    def start(self, model: str | Callable[[], Any], *, extra: dict[str, Any] | None = None,
              batch_size: int | None = None, max_batch: int = 64,
              progress: Callable[[str], None] = lambda _m: None) -> RayModel:
        """Start the workers and have each load `model` (a spec, or a picklable zero-argument
        factory); refuse, before any request, a failed load or a version mismatch."""
        from assay.engine.executors.ray_worker import ModelWorker, node_versions

        if not isinstance(model, str) and not callable(model):
            raise ConfigError("a Ray executor needs a model spec (or a picklable factory), not a loaded model: each "
                              "worker loads its own", field="model", hint='e.g. assay.evaluate("smollm2", ..., executor=...)')
        extra = dict(extra or {})
        refuse_secrets({"model": model if isinstance(model, str) else "", "model_args": extra})
        ray = _ray()
        owns = self._connect()
        try:
            remote = ray.remote(ModelWorker).options(num_cpus=self.cpus_per_worker, num_gpus=self.gpus_per_worker,
                                                    max_restarts=0, max_task_retries=0)
            actors = [remote.remote(model, extra, batch_size, max_batch) for _ in range(self.workers)]
            progress(f"ray: {self.workers} workers loading {model if isinstance(model, str) else 'the model'}")
            began = time.perf_counter()
            try:
                loaded = ray.get([a.load.remote() for a in actors], timeout=self.load_timeout_s)
            except ray.exceptions.GetTimeoutError:
                raise ConfigError(f"the Ray workers did not load the model within {self.load_timeout_s:.0f} s (the "
                                  "cluster may lack free CPUs for them)", field="--workers",
                                  hint=f"check `ray status`: {self.workers} workers need "
                                       f"{self.workers * self.cpus_per_worker:g} CPUs") from None
            except ray.exceptions.RayError as exc:
                raise ConfigError(f"a Ray worker failed while loading the model: {exc}", field="model") from None
            here = node_versions()
            for found in loaded:
                wrong = version_mismatches(here, found["versions"])
                if wrong:
                    raise ConfigError("driver and cluster differ: " + "; ".join(wrong), field="--ray-address",
                                      hint="install the same versions on every node")
                if "error" in found:
                    raise ConfigError(f"a Ray worker on {found['host']} cannot load the model "
                                      f"{model if isinstance(model, str) else ''}: {found['error']}", field="model",
                                      hint="every node needs the model's files and backend installed")
            keys = {ModelInfo(**found["info"]).cache_key for found in loaded}
            if len(keys) != 1:
                raise ConfigError("the Ray workers loaded different models (their cache identities differ)",
                                  field="model", hint="give every node the same model files")
            rps = loaded[0].get("rate_limit_rps")
            if rps:  # an endpoint pool with a provider-wide limit: one limiter for every worker
                from assay.engine.executors.ray_limiter import RateLimiterActor

                limiter = ray.remote(RateLimiterActor).options(num_cpus=0).remote(float(rps))
                ray.get([a.share_rate_limit.remote(limiter) for a in actors], timeout=60)
                actors.append(limiter)  # killed with the workers at the end
            progress(f"ray: {self.workers} workers ready in {time.perf_counter() - began:.1f} s "
                     f"on {len({f['node'] for f in loaded})} node(s) (pids {', '.join(str(f['pid']) for f in loaded)})")
        except BaseException:
            if owns:
                ray.shutdown()
            raise
        workers = [_Worker(f"w{i}", actor, int(found["pid"]), str(found["node"]))
                   for i, (actor, found) in enumerate(zip(actors, loaded))]
        extra_actors = actors[len(loaded):]  # the shared rate limiter, if any
        caps = loaded[0].get("capabilities")
        spec = model if isinstance(model, str) else (loaded[0].get("spec") or ModelInfo(**loaded[0]["info"]).name)
        model_ = RayModel(self, spec, workers, ModelInfo(**loaded[0]["info"]), Capabilities(**caps) if caps else None,
                          owns)
        model_.helpers = extra_actors
        return model_
