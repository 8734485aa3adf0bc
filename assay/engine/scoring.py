"""Turn answered samples into `SampleRecord`s: run the task's scorers on each output."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

from assay.core.responses import ChoiceOutput, Completion, Output, RollingLoglikelihoodResult
from assay.core.results import SampleRecord
from assay.core.score import Score
from assay.core.solver import PlannedSample
from assay.core.task import Task
from assay.engine.meters import usage_fields


@dataclass
class Answered:
    """What a solver produced for one sample: its output (None when a step failed), the
    failure message, whether every answer came from the cache, and its steps when there
    were several (kept in the record)."""

    output: Output | None
    error: str | None = None
    cached: bool = False
    transcript: list[dict[str, Any]] = field(default_factory=list)


def _raw_response(output: Output) -> Any:
    if isinstance(output, ChoiceOutput):
        return [r.logprob for r in output.results]
    if isinstance(output, RollingLoglikelihoodResult):
        return output.logprob
    return output.text if len(output.texts) <= 1 else list(output.texts)


def _usage(output: Output) -> tuple[int, int, float]:
    if isinstance(output, ChoiceOutput):
        return (
            sum(r.usage.tokens_in for r in output.results),
            sum(r.n_tokens for r in output.results),
            sum(r.usage.latency_s for r in output.results),
        )
    if isinstance(output, RollingLoglikelihoodResult):
        return output.usage.tokens_in, output.n_tokens, output.usage.latency_s
    return output.usage.tokens_in, output.usage.tokens_out, output.usage.latency_s


def _failed_values(task: Task) -> dict[str, float]:
    return {name: math.nan for name in task.metric_names}


def score_sample(task: Task, planned: PlannedSample, output: Output) -> tuple[dict[str, float], Any, str]:
    """Merged values of every scorer, for an output that did not fail (`score_task` records
    failed ones with NaN for each metric)."""
    values: dict[str, float] = {}
    extracted: Any = None
    notes: list[str] = []
    for scorer in task.scorers:
        score: Score = scorer(planned.sample, output)
        values.update({k: float(v) for k, v in score.values.items()})
        if score.extracted is not None and extracted is None:
            extracted = score.extracted
        if score.explanation:
            notes.append(score.explanation)
    return values, extracted, "; ".join(notes)


def score_task(
    task: Task,
    planned: Sequence[PlannedSample],
    answered: Sequence[Answered],
    *,
    run_id: str,
    model_name: str,
) -> list[SampleRecord]:
    """One record per sample, in the task's sample order."""
    records = []
    format_id = task.format.id  # computed (a comparison, or a hash of the format), so once per task
    for p, a in zip(planned, answered):
        output, error = a.output, a.error
        if output is not None and error is None:
            error = output.error
        metadata = dict(p.sample.metadata)
        if p.sample.choices is not None:
            metadata["choices"] = list(p.sample.choices)
        if output is None or error is not None:
            values, extracted, note = _failed_values(task), None, ""
            response: Any = None if output is None else _raw_response(output)
            tokens_in, tokens_out, latency = (0, 0, 0.0) if output is None else _usage(output)
        else:
            values, extracted, note = score_sample(task, p, output)
            response = _raw_response(output)
            tokens_in, tokens_out, latency = _usage(output)
            if note:
                metadata["score_note"] = note
        if output is not None:
            metadata.update(usage_fields(output))  # TTFT/TPOT where streamed; CPU time, energy, memory where metered
        if len(a.transcript) > 1:
            metadata["transcript"] = a.transcript  # not "steps": suites use that for an item's reasoning steps
        extra = getattr(output, "record_metadata", None)  # an agent episode's trajectory (assay.agents)
        if extra:
            metadata.update(extra)
        records.append(
            SampleRecord(
                run_id=run_id,
                task=task.name,
                task_version=task.version,
                model=model_name,
                format=format_id,
                sample_id=p.sample.id,
                prompt=p.prompt,
                response=response,
                extracted=extracted,
                target=p.sample.target,
                scores=values,
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                latency_s=round(latency, 6),
                cached=a.cached,
                error=error,
                metadata=metadata,
            )
        )
    return records
