"""The one-step solvers every plain task uses, and a helper to pick a task's solver.

Multiple choice asks for every option's log-likelihood in one step (so the options stay
together in a batch, for shared-prefix scoring); generation asks for one completion; a
perplexity task asks for its text's rolling log-likelihood. Their
requests are exactly the planned ones, so the cache keys of earlier versions still hit.
"""

from __future__ import annotations

from assay.core.requests import Generate, Loglikelihood, LoglikelihoodRolling
from assay.core.responses import ChoiceOutput, Completion, Output
from assay.core.solver import PlannedSample, Solver, StepContext
from assay.core.task import Task, TaskKind


async def multiple_choice(planned: PlannedSample, ctx: StepContext) -> Output:
    """Score every option's continuation; the scorer picks."""
    requests = [r for r in planned.requests if isinstance(r, Loglikelihood)]
    return ChoiceOutput(tuple(await ctx.loglikelihood(requests)))


async def generate(planned: PlannedSample, ctx: StepContext) -> Output:
    """One completion of the planned prompt (or conversation)."""
    (request,) = planned.requests
    assert isinstance(request, Generate)
    answer: Completion = await ctx.generate(request)
    return answer


async def rolling_loglikelihood(planned: PlannedSample, ctx: StepContext) -> Output:
    """The whole text's log-likelihood (one rolling request); the scorer makes perplexities."""
    (request,) = planned.requests
    assert isinstance(request, LoglikelihoodRolling)
    (answer,) = await ctx.step((request,))
    return answer  # type: ignore[return-value]


def solver_for(task: Task) -> Solver:
    """The task's own solver, else the one-step default for its kind."""
    if task.solver is not None:
        return task.solver
    if task.kind is TaskKind.PERPLEXITY:
        return rolling_loglikelihood
    return multiple_choice if task.kind is TaskKind.MULTIPLE_CHOICE else generate
