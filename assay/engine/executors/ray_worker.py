"""The Ray actor that holds one shard of a run: it loads the model once and answers units of
requests through the same dispatcher an in-process run uses (the engine-v2 micro-batcher for
local models, the concurrency gate for API models).

It never sees the response cache or the run: answers go back to the driver, which alone
writes them. Secrets never travel to it: an API adapter reads its key from the worker's own
environment (`api_key_env`), so Ray's object payloads hold specs and requests only.
"""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import time
from dataclasses import asdict
from typing import Any, Callable, Sequence

from assay.core.requests import Request
from assay.core.responses import Response


def node_versions() -> dict[str, str]:
    """What must match between the driver and every worker: Ray, Python (major.minor) and assay."""
    import ray

    from assay.version import __version__

    return {"ray": ray.__version__, "python": ".".join(platform.python_version_tuple()[:2]), "assay": __version__}


class ModelWorker:
    """One shard's model (a Ray actor: `ray.remote(ModelWorker)`)."""

    def __init__(self, model: str | Callable[[], Any], extra: dict[str, Any], batch_size: int | None,
                 max_batch: int) -> None:
        self._spec = model
        self._extra = dict(extra)
        self._batch_size = batch_size
        self._max_batch = max_batch
        self._model: Any = None
        self._dispatcher: Any = None
        self.units = 0

    def load(self) -> dict[str, Any]:
        """Load the model (once); what the driver needs to know of it, or the load error."""
        from assay.engine.dispatch import make_dispatcher

        import ray

        found: dict[str, Any] = {"pid": os.getpid(), "host": socket.gethostname(), "versions": node_versions(),
                                 "node": ray.get_runtime_context().get_node_id()[:12]}
        try:
            if callable(self._spec):
                self._model = self._spec()
            else:
                from assay.models import ModelOptions, load_model

                self._model = load_model(self._spec, ModelOptions(batch_size=self._batch_size, extra=self._extra))
            caps = getattr(self._model, "capabilities", None)
            found["capabilities"] = asdict(caps) if caps is not None else None
        except Exception as exc:  # noqa: BLE001 — reported by the driver, before the run starts
            found["error"] = f"{type(exc).__name__}: {exc}"
            return found
        self._dispatcher = make_dispatcher(self._model, self._max_batch)
        found["info"] = self._model.info.to_dict()
        found["spec"] = getattr(self._model, "spec", None) or (self._spec if isinstance(self._spec, str) else None)
        found["max_concurrency"] = int(getattr(self._model, "max_concurrency", 0) or 0)
        found["rate_limit_rps"] = getattr(self._model, "rate_limit_rps", None)
        return found

    def share_rate_limit(self, limiter_actor: Any) -> None:
        """Make the model (an endpoint pool) wait on the run's one shared limiter."""
        from assay.engine.executors.ray_limiter import RemoteRateLimiter

        self._model.share_rate_limit(RemoteRateLimiter(limiter_actor))

    async def answer_units(self, units: Sequence[Sequence[Request]]) -> tuple[list[list[Response]], float]:
        """Each unit's answers (the units meet in the dispatcher's batches) and the seconds taken."""
        began = time.perf_counter()
        answers = await asyncio.gather(*(self._dispatcher.answer(list(u)) for u in units))
        self.units += len(units)
        return [list(a) for a in answers], time.perf_counter() - began

    async def close(self) -> None:
        if self._dispatcher is not None:
            await self._dispatcher.aclose()
        if self._model is not None:
            self._model.close()
