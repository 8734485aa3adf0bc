"""`judged_task`: a generation task whose scores come from judges instead of its own scorers."""

from __future__ import annotations

from dataclasses import replace

from assay.core.task import Task, TaskKind
from assay.scoring.judges.config import JudgeConfig
from assay.scoring.judges.scorer import JudgeScorer
from assay.scoring.judges.solver import judge_solver


def judged_task(task: Task, config: JudgeConfig, *, keep_scorers: bool = False) -> Task:
    """`task` answered as before, then judged as `config` says. Its scorers are replaced by
    the judge's (or kept after it with `keep_scorers`, e.g. exact match beside a rating)."""
    if task.kind is not TaskKind.GENERATE:
        raise ValueError(f"task '{task.name}' is {task.kind.value}: only generation tasks can be judged")
    scorers = (JudgeScorer(config),) + (task.scorers if keep_scorers else ())
    return replace(task, scorers=scorers, solver=judge_solver(config))
