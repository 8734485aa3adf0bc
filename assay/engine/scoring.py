"""Turn answered samples into `SampleRecord`s: run the task's scorers on each output."""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from assay.core.responses import ChoiceOutput, Completion, LoglikelihoodResult, Output, Response
from assay.core.results import SampleRecord
from assay.core.score import Score
from assay.core.task import Task, TaskKind
from assay.engine.prompts import PlannedSample


def _output(task: Task, planned: PlannedSample, responses: Mapping[str, Response]) -> Output:
    answers = [responses[r.key()] for r in planned.requests]
    if task.kind is TaskKind.MULTIPLE_CHOICE:
        return ChoiceOutput(tuple(a for a in answers if isinstance(a, LoglikelihoodResult)))
    answer = answers[0]
    assert isinstance(answer, Completion)
    return answer


def _raw_response(output: Output) -> Any:
    if isinstance(output, ChoiceOutput):
        return [r.logprob for r in output.results]
    return output.text if len(output.texts) <= 1 else list(output.texts)


def _usage(output: Output) -> tuple[int, int, float]:
    if isinstance(output, ChoiceOutput):
        return (
            sum(r.usage.tokens_in for r in output.results),
            sum(r.n_tokens for r in output.results),
            sum(r.usage.latency_s for r in output.results),
        )
    return output.usage.tokens_in, output.usage.tokens_out, output.usage.latency_s


def _failed_values(task: Task) -> dict[str, float]:
    return {name: math.nan for name in task.metric_names}


def score_sample(task: Task, planned: PlannedSample, output: Output) -> tuple[dict[str, float], Any, str]:
    """Merged values of every scorer (NaN for each metric when the output failed)."""
    if output.error is not None:
        return _failed_values(task), None, output.error
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
    responses: Mapping[str, Response],
    from_cache: Mapping[str, bool],
    *,
    run_id: str,
    model_name: str,
) -> list[SampleRecord]:
    """One record per sample, in the task's sample order."""
    records = []
    format_id = task.format.id  # computed (a comparison, or a hash of the format), so once per task
    for p in planned:
        output = _output(task, p, responses)
        values, extracted, note = score_sample(task, p, output)
        tokens_in, tokens_out, latency = _usage(output)
        metadata = dict(p.sample.metadata)
        if p.sample.choices is not None:
            metadata["choices"] = list(p.sample.choices)
        if note and output.error is None:
            metadata["score_note"] = note
        if isinstance(output, Completion) and output.usage.ttft_s is not None:  # streamed over an API
            metadata["ttft_s"] = round(output.usage.ttft_s, 6)
            if output.usage.tpot_s is not None:
                metadata["tpot_s"] = round(output.usage.tpot_s, 6)
        records.append(
            SampleRecord(
                run_id=run_id,
                task=task.name,
                task_version=task.version,
                model=model_name,
                format=format_id,
                sample_id=p.sample.id,
                prompt=p.prompt,
                response=_raw_response(output),
                extracted=extracted,
                target=p.sample.target,
                scores=values,
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                latency_s=round(latency, 6),
                cached=all(from_cache.get(r.key(), False) for r in p.requests),
                error=output.error,
                metadata=metadata,
            )
        )
    return records
