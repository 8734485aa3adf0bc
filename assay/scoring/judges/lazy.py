"""`LazyModel`: a judge named by spec in a task file, loaded on its first request, so that
reading a task file never loads a model."""

from __future__ import annotations

import threading
from typing import Any, Sequence

from assay.models.base import ModelInfo


class LazyModel:
    """Stands for `load_model(spec)`; the engine sees an adapter whose identity is the spec
    until loaded (the cache key is the loaded model's, read after loading)."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                from assay.models import load_model

                self._model = load_model(self.spec)
            return self._model

    @property
    def info(self) -> ModelInfo:
        return self.model.info

    @property
    def capabilities(self) -> Any:
        return getattr(self.model, "capabilities", None)

    def __getattr__(self, name: str) -> Any:  # generate, loglikelihood, max_concurrency, …
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.model, name)

    def generate(self, requests: Sequence[Any]) -> Any:
        return self.model.generate(requests)

    def close(self) -> None:
        if self._model is not None:
            self._model.close()
