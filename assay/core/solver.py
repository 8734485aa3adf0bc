"""Solvers: how one sample is answered, as a sequence of model calls (steps).

A solver is an async function `(planned, ctx) -> Output`. It asks the model through `ctx`,
one step after another; each step's requests are cached under their own content keys, so a
step whose answer is already known is replayed from the cache without calling the model.
That is what lets a multi-step sample (a judge call on a generated answer, turn 2 of a chat
that quotes turn 1, an agent's tool loop, the next item of an adaptive test) resume after a
crash and give the same result: the solver runs again from the start and every step it has
already taken comes back from the cache.

Today's multiple-choice and generation tasks are the one-step case (`assay.engine.solvers`).
A solver must be deterministic given its responses (draw randomness from a seed in the
sample or the task, never from the clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Protocol, Sequence

from assay.core.requests import Generate, Loglikelihood, Request
from assay.core.responses import Completion, LoglikelihoodResult, Output, Response
from assay.core.sample import Sample


@dataclass(frozen=True)
class PlannedSample:
    """A sample with the exact prompt text and the requests of its first step."""

    sample: Sample
    prompt: str
    requests: tuple[Request, ...]


class StepFailed(Exception):
    """A step's request failed transiently (the response carries an error). Raised by the
    context's step methods so a solver need not check every answer: the engine records the
    sample as failed with this message, and a rerun retries it (failures are not cached)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class StepContext(Protocol):
    """What a solver may do: ask a model. `model=None` means the model under evaluation;
    another model object (a judge, a user simulator) may be named, and its answers are
    cached under its own identity."""

    async def step(self, requests: Sequence[Request], *, model: Any = None) -> list[Response]:
        """Answer the requests together (one unit of a batch); raises `StepFailed` when one fails."""
        ...

    async def loglikelihood(self, requests: Sequence[Loglikelihood], *, model: Any = None) -> list[LoglikelihoodResult]:
        ...

    async def generate(self, request: Generate, *, model: Any = None) -> Completion:
        ...


Solver = Callable[[PlannedSample, StepContext], Awaitable[Output]]
"""An async function from a planned sample and a step context to the output its scorers read."""
