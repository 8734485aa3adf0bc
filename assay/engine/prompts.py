"""From a task's samples to the prompts and requests a model will see (the Formatter).

Pure functions: a sample, its task and a few-shot pool in; prompt text and requests out.
Few-shot examples are drawn per sample with a seed derived from (task seed, sample id), so
adding or removing other items never changes a sample's prompt — and thus its cache key.
"""

from __future__ import annotations

import random
from typing import Sequence

from assay.core.hashing import stable_hash
from assay.core.messages import ChatMessage
from assay.core.requests import Generate, GenerationParams, Loglikelihood, Request
from assay.core.sample import Sample
from assay.core.solver import PlannedSample
from assay.core.task import Task, TaskKind


def answer_text(sample: Sample) -> str:
    """The text of the right answer, as a few-shot example shows it."""
    if sample.choices is not None and isinstance(sample.target, int):
        return sample.choices[sample.target]
    if isinstance(sample.target, tuple):
        return sample.target[0]
    return str(sample.target)


def select_shots(task: Task, sample: Sample, pool: Sequence[Sample], seed: int) -> list[Sample]:
    """`task.fewshot.k` examples from `pool`, never the sample itself, chosen reproducibly."""
    k = task.fewshot.k
    if k <= 0:
        return []
    candidates = [s for s in pool if s.id != sample.id]
    rng = random.Random(stable_hash([task.fewshot.seed, seed, task.name, sample.id]))
    return rng.sample(candidates, min(k, len(candidates)))


def _sample_seed(seed: int, task: Task, sample: Sample) -> int:
    return int(stable_hash([seed, task.name, sample.id])[:8], 16)


def plan_sample(task: Task, sample: Sample, shots: Sequence[Sample], seed: int = 0) -> PlannedSample:
    """Build the prompt and requests for one sample under the task's format."""
    fmt = task.format
    if task.kind is TaskKind.MULTIPLE_CHOICE:
        if sample.choices is None or not isinstance(sample.input, str):
            raise ValueError(f"sample {sample.id}: a multiple-choice task needs text input and choices")
        prompt = fmt.render_prompt(
            sample.input,
            sample.choices,
            shots=[(s.input, s.choices, answer_text(s)) for s in shots if isinstance(s.input, str)],
            instruction=task.instruction,
        )
        lead = fmt.answer_lead or " "
        requests: tuple[Request, ...] = tuple(Loglikelihood(prompt, lead + c) for c in sample.choices)
        return PlannedSample(sample, prompt, requests)

    params = task.generation
    if not params.greedy and params.seed is None:
        params = GenerationParams(**{**params.to_dict(), "stop": params.stop, "seed": _sample_seed(seed, task, sample)})
    if isinstance(sample.input, tuple):
        messages = sample.input
    elif task.chat:
        messages = _chat_messages(task, sample, shots)
    else:
        prompt = fmt.render_prompt(
            sample.input,
            shots=[(s.input, None, answer_text(s)) for s in shots if isinstance(s.input, str)],
            instruction=task.instruction,
        )
        return PlannedSample(sample, prompt, (Generate(prompt=prompt, params=params),))
    text = "\n\n".join(f"[{m.role}] {m.content}" for m in messages)
    return PlannedSample(sample, text, (Generate(messages=messages, params=params),))


def _chat_messages(task: Task, sample: Sample, shots: Sequence[Sample]) -> tuple[ChatMessage, ...]:
    """Few-shot examples as earlier user/assistant turns; the instruction leads each user turn."""

    def user(text: str) -> ChatMessage:
        return ChatMessage("user", f"{task.instruction}\n\n{text}" if task.instruction else text)

    turns: list[ChatMessage] = []
    for shot in shots:
        if isinstance(shot.input, str):
            turns += [user(shot.input), ChatMessage("assistant", answer_text(shot))]
    assert isinstance(sample.input, str)
    turns.append(user(sample.input))
    return tuple(turns)


def plan_task(task: Task, samples: Sequence[Sample], seed: int = 0) -> list[PlannedSample]:
    """Plan every sample of a task (few-shot pool: `task.fewshot_pool()` or the samples)."""
    pool: Sequence[Sample] = ()
    if task.fewshot.k > 0:
        pool = task.fewshot_pool() if task.fewshot_pool is not None else samples
    return [plan_sample(task, s, select_shots(task, s, pool, seed), seed) for s in samples]
