"""Adaptive testing inside the run loop: one multi-step sample that asks a task's items one by
one, choosing each from the answers so far, and stops at a target SE or an item budget.

The whole test is a solver (docs/solvers.md): it runs the task's own one-step solver on the
chosen item through the step context, scores the answer with the task's scorers, updates the
ability estimate and picks the next item (maximum information, randomesque exposure control
seeded by the run seed and the step). Every step is cached under its request's content key,
and the choice is a function of the answers only, so a killed run replays from the cache to
the same item sequence and continues where it stopped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assay.analyses.adaptive import (
    AdaptiveSelector,
    Estimator,
    Strategy,
    check_estimators,
    estimate_from_responses,
    SubsetEstimate,
)
from assay.analyses.irt_calibration import Calibration, check_calibration_items
from assay.core.responses import Completion, Output
from assay.core.results import MetricSummary, SampleRecord
from assay.core.run import Run
from assay.core.sample import Sample
from assay.core.score import Score
from assay.core.solver import PlannedSample, StepContext
from assay.core.task import Task, TaskKind
from assay.engine.prompts import plan_task
from assay.engine.scoring import Answered, score_sample, score_task
from assay.engine.solvers import solver_for
from assay.errors import ConfigError

ADAPTIVE_SAMPLE_ID = "adaptive-test"


@dataclass
class AdaptiveState:
    """What the adaptive solver learned, read back after the run: the items in the order asked,
    each one's output and 0/1 answer, and the stopping reason."""

    task: Task
    calibration: Calibration
    calibration_path: str
    planned: list[PlannedSample]
    target_se: float | None
    max_items: int
    seed: int
    exposure: int
    sequence: list[int] = field(default_factory=list)
    outputs: dict[int, Output] = field(default_factory=dict)
    answers: dict[int, float] = field(default_factory=dict)
    stop_reason: str = ""

    @property
    def primary(self) -> str:
        return self.task.metric_names[0]

    def responses(self) -> np.ndarray:
        row = np.full(len(self.calibration.items), np.nan)
        for j, v in self.answers.items():
            row[j] = v
        return row


class _AdaptiveScorer:
    """Scores the adaptive sample by its IRT estimate (the run's table is then replaced by
    `finish_adaptive_run` with the estimate's interval)."""

    name = "irt_adaptive"

    def __init__(self, state: AdaptiveState) -> None:
        self.state = state
        self.metrics = (state.primary,)

    def __call__(self, sample: Sample, output: Output) -> Score:
        est = _estimate(self.state)
        return Score({self.state.primary: est.accuracy}, extracted=f"{len(self.state.sequence)} items")


def _estimate(state: AdaptiveState) -> SubsetEstimate:
    key = tuple(state.sequence)
    cached = state.__dict__.get("_estimate")
    if cached is not None and cached[0] == key:
        return cached[1]
    est = _compute_estimate(state)
    state.__dict__["_estimate"] = (key, est)
    return est


def _compute_estimate(state: AdaptiveState) -> SubsetEstimate:
    check = check_estimators(state.calibration, Strategy.ADAPTIVE, max(1, len(state.answers)), seed=state.seed,
                             exposure=state.exposure)
    return estimate_from_responses(state.calibration, state.responses(), check=check, estimator=Estimator.PIRT)


def adaptive_task(task: Task, cal: Calibration, *, calibration_path: str | Path, target_se: float | None = None,
                  max_items: int = 50, seed: int = 0, exposure: int = 5) -> tuple[Task, AdaptiveState]:
    """A one-sample task that administers `task` adaptively, and the state it fills in."""
    if task.kind is TaskKind.MULTIPLE_CHOICE and task.choice_scoring.chat_template:
        raise ConfigError(f"task '{task.name}' scores options through the chat template; adaptive runs do not "
                          "support that yet", field="--adaptive")
    if target_se is not None and target_se <= 0:
        raise ConfigError("--target-se must be positive", field="--target-se")
    if max_items < 1:
        raise ConfigError("--max-items must be at least 1", field="--max-items")
    samples = list(task.load())
    by_id = {s.id: s for s in samples}
    check_calibration_items(cal, [s.id for s in samples], source=calibration_path, task=task.name.split("@", 1)[0],
                            task_version=task.version)
    planned = plan_task(task, [by_id[i] for i in cal.items], seed=seed)
    state = AdaptiveState(task, cal, str(calibration_path), planned, target_se, min(max_items, len(cal.items)), seed,
                          exposure)
    inner = solver_for(task)
    selector = AdaptiveSelector(cal.params, cal.fit.quadrature, exposure, seed)

    async def administer(_planned: PlannedSample, ctx: StepContext) -> Output:
        state.sequence.clear()
        state.outputs.clear()
        state.answers.clear()
        responses = np.full(len(cal.items), np.nan)
        state.stop_reason = "all items asked"
        from assay.stats.irt_scoring import estimate_ability

        while len(state.sequence) < state.max_items:
            j = selector.next_item(responses)
            if j is None:
                break
            output = await inner(planned[j], ctx)
            values, _, _ = score_sample(task, planned[j], output)
            value = values.get(state.primary, math.nan)
            responses[j] = 1.0 if value >= 0.5 else 0.0
            state.sequence.append(j)
            state.outputs[j] = output
            state.answers[j] = responses[j]
            se = estimate_ability(cal.params, responses, cal.fit.quadrature).theta_se
            if target_se is not None and se <= target_se:
                state.stop_reason = f"ability SE {se:.3f} <= target {target_se}"
                break
        else:
            state.stop_reason = f"item budget {state.max_items} reached"
        return Completion(texts=(" ".join(cal.items[j] for j in state.sequence),))

    wrapper = Task(name=task.name, version=task.version, kind=TaskKind.GENERATE,
                   load=lambda: [Sample(id=ADAPTIVE_SAMPLE_ID, input=f"adaptive test of {task.name}", target=None)],
                   scorers=(_AdaptiveScorer(state),), family=task.family, description=task.description,
                   source=dict(task.source), solver=administer, generation=task.generation)
    return wrapper, state


def finish_adaptive_run(run: Run, state: AdaptiveState) -> SubsetEstimate | None:
    """Replace the one adaptive record by the asked items' own records, put the IRT estimate
    with its interval in the task's table, and record sequence and estimate in the manifest.
    Returns None when the adaptive sample failed (rerun to retry it)."""
    task = state.task
    meta = next((r for r in run.samples if r.sample_id == ADAPTIVE_SAMPLE_ID), None)
    if meta is None or meta.error is not None:
        run.manifest["adaptive"] = {"error": meta.error if meta else "no adaptive sample",
                                    "items_asked": [state.calibration.items[j] for j in state.sequence]}
        return None
    est = _estimate(state)
    asked = [state.planned[j] for j in state.sequence]
    records = score_task(task, asked, [Answered(state.outputs[j], None, meta.cached) for j in state.sequence],
                         run_id=run.run_id, model_name=run.model)
    for step, rec in enumerate(records):
        rec.metadata["adaptive_step"] = step
    run.samples = [r for r in run.samples if r.sample_id != ADAPTIVE_SAMPLE_ID] + records
    result = run.tasks[task.name]
    result.n = len(records)
    result.n_failed = 0
    metrics: dict[str, MetricSummary] = {
        state.primary: MetricSummary(name=state.primary, value=est.accuracy, n=len(records), stderr=est.stderr,
                                     ci_low=est.ci_low, ci_high=est.ci_high, method="irt-adaptive")}
    result.metrics = metrics
    cal = state.calibration
    run.manifest["adaptive"] = {
        "calibration": state.calibration_path, "model": cal.fit.model.value, "calibrated_items": len(cal.items),
        "calibration_rows": len(cal.matrix.rows), "target_se": state.target_se, "max_items": state.max_items,
        "seed": state.seed, "exposure": state.exposure, "stop_reason": state.stop_reason,
        "items": [cal.items[j] for j in state.sequence], "answers": [int(state.answers[j]) for j in state.sequence],
        "estimate": {"accuracy": est.accuracy, "ci_low": est.ci_low, "ci_high": est.ci_high, "stderr": est.stderr,
                     "theta": est.theta, "theta_se": est.theta_se,
                     "person_fit": None if not np.isfinite(est.person_fit) else est.person_fit,
                     "estimator": est.estimator.value, "warnings": est.warnings},
    }
    return est


def adaptive_summary(run: Run) -> dict[str, Any]:
    """The manifest's adaptive section (empty for a plain run)."""
    return dict(run.manifest.get("adaptive") or {})
