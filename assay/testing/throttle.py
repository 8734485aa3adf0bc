"""A real model made slower: each batch call waits `delay_s` first, so a fault-tolerance test
has time to kill a worker or a driver mid-run. The answers are the wrapped model's own.

`throttled("llamacpp:smollm2", 0.3)` is a picklable zero-argument factory, for
`assay.evaluate(factory, ..., executor=RayExecutor(...))`: each Ray worker builds its own.
"""

from __future__ import annotations

import functools
import time
from typing import Any, Callable, Sequence


class ThrottledModel:
    """`model`, with `delay_s` of sleep before every batch call; same info, same cache identity."""

    def __init__(self, model: Any, delay_s: float, spec: str | None = None) -> None:
        self._model = model
        self.delay_s = delay_s
        self.spec = spec or getattr(model, "spec", None)  # the run names the model as the plain one would
        self.info = model.info
        self.capabilities = model.capabilities

    def _wait(self) -> None:
        time.sleep(self.delay_s)

    def loglikelihood(self, requests: Sequence[Any]) -> list[Any]:
        self._wait()
        return self._model.loglikelihood(requests)

    def loglikelihood_rolling(self, requests: Sequence[Any]) -> list[Any]:
        self._wait()
        return self._model.loglikelihood_rolling(requests)

    def generate(self, requests: Sequence[Any]) -> list[Any]:
        self._wait()
        return self._model.generate(requests)

    def close(self) -> None:
        self._model.close()


def _build(spec: str, delay_s: float, extra: dict[str, Any]) -> ThrottledModel:
    from assay.models import ModelOptions, load_model

    return ThrottledModel(load_model(spec, ModelOptions(extra=extra)), delay_s, spec)


def throttled(spec: str, delay_s: float, **settings: Any) -> Callable[[], ThrottledModel]:
    """A picklable factory of the model `spec` (with adapter `settings`) throttled by `delay_s` per batch."""
    return functools.partial(_build, spec, delay_s, dict(settings))
