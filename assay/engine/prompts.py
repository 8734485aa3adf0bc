"""From a task's samples to the prompts and requests a model will see (the Formatter).

Pure functions: a sample, its task and a few-shot pool in; prompt text and requests out.
Few-shot examples are drawn per sample with a seed derived from (task seed, sample id), so
adding or removing other items never changes a sample's prompt — and thus its cache key.
"""

from __future__ import annotations

import random
from typing import Any, Callable, Sequence

from assay.core.format import OptionStyle, PromptFormat
from assay.core.hashing import stable_hash
from assay.core.messages import ChatMessage
from assay.core.requests import Generate, GenerationParams, Loglikelihood, LoglikelihoodRolling, Request
from assay.core.sample import Sample
from assay.core.solver import PlannedSample
from assay.core.task import Continuation, Task, TaskKind
from assay.errors import ConfigError


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


DESCRIPTION_KEY = "assay.description"
"""Sample metadata key of a multiple-choice item's own description (lm-eval's `description`,
which can differ per item, as MMLU's subject line does). Dotted, so no data column a task
file keeps in metadata can set it by accident."""

ChatTemplate = Callable[[Sequence[ChatMessage]], str]
"""A model's chat template: messages to the text the model reads, the assistant turn opened."""


def chat_renderer(model: Any, tasks: Sequence[Task]) -> ChatTemplate | None:
    """The model's chat template as a function, when one of `tasks` scores options through it
    (`ChoiceScoring.chat_template`); None when none does. Raises `ConfigError` when the model
    has no template or its adapter cannot render one (only local tokenizers can)."""
    wanting = [t.name for t in tasks if t.kind is TaskKind.MULTIPLE_CHOICE and t.choice_scoring.chat_template]
    if not wanting:
        return None
    info = getattr(model, "info", None)
    name = getattr(info, "name", type(model).__name__)
    render = getattr(model, "render_prompt", None)
    tokenizer = getattr(model, "tokenizer", None)
    if not getattr(info, "has_chat_template", False) or (render is None and tokenizer is None):
        raise ConfigError(
            f"task '{wanting[0]}' scores its options through the model's chat template, but the model "
            f"'{name}' has none that assay can render",
            field="chat_template", hint="turn chat_template off for this task, or use a local (hf:/gguf:) chat model",
        )
    if render is not None:
        return lambda messages: str(render(Generate(messages=tuple(messages))))
    return lambda messages: str(tokenizer.apply_chat_template(
        [m.to_dict() for m in messages], tokenize=False, add_generation_prompt=True))


def _choice_answer(task: Task, sample: Sample) -> str:
    """A solved example's answer as a few-shot block shows it: the option's text, or its key."""
    if task.choice_scoring.continuation is Continuation.LETTER and isinstance(sample.target, int):
        return task.format.option_enumerator.key(sample.target)
    return answer_text(sample)


def _plan_choices(task: Task, sample: Sample, shots: Sequence[Sample], chat_template: ChatTemplate | None) -> PlannedSample:
    """Multiple choice: one log-likelihood request per option (and one more per option after
    the neutral context when calibrated), under the task's `ChoiceScoring`."""
    options = task.choice_scoring
    fmt = task.format
    letters = options.continuation is Continuation.LETTER
    if letters and not fmt.verbatim:
        fmt = fmt.with_style(OptionStyle.LISTED)  # a letter means nothing unless the options are listed
    if sample.choices is None or not isinstance(sample.input, str):
        raise ValueError(f"sample {sample.id}: a multiple-choice task needs text input and choices")
    if options.continuation is Continuation.BLANK:
        return _plan_blank(task, sample, shots, fmt)
    continuations = ([fmt.option_enumerator.key(i) for i in range(len(sample.choices))] if letters
                     else list(sample.choices))
    shot_blocks = [(s.input, s.choices, _choice_answer(task, s)) for s in shots if isinstance(s.input, str)]
    lead = fmt.answer_lead or " "
    # A per-item description (lm-eval's `description`, e.g. MMLU's subject line) is written
    # as is, right before the prompt; under the chat template it is the system turn.
    description = sample.metadata.get(DESCRIPTION_KEY) or ""
    if options.chat_template:
        if chat_template is None:
            raise ConfigError(f"task '{task.name}' scores options through the chat template, but no model "
                              "template was given to plan it", field="chat_template")
        # lm-eval's --apply_chat_template: the description as a system turn, the few-shot
        # blocks and the query as one user turn, and no target delimiter after the opened
        # assistant turn.
        body = fmt.render_prompt(sample.input, sample.choices, shots=shot_blocks)
        system = fmt.shot_separator.join(part for part in (task.instruction, description) if part)
        messages = ([ChatMessage("system", system)] if system else []) + [ChatMessage("user", body)]
        prompt = chat_template(messages)
        lead = ""
    else:
        prompt = description + fmt.render_prompt(sample.input, sample.choices, shots=shot_blocks,
                                                 instruction=task.instruction)
    requests: list[Request] = [Loglikelihood(prompt, lead + c) for c in continuations]
    if options.calibrate:
        requests += [Loglikelihood(options.neutral_context, lead + c) for c in continuations]
    return PlannedSample(sample, prompt, tuple(requests))


def _plan_blank(task: Task, sample: Sample, shots: Sequence[Sample], fmt: PromptFormat) -> PlannedSample:
    """Partial scoring (lm-eval's WinoGrande): context i is the input up to the blank "_" with
    option i in it; every option scores the same continuation, the rest after the blank."""
    assert isinstance(sample.input, str) and sample.choices is not None
    if shots or task.choice_scoring.chat_template or task.choice_scoring.calibrate:
        raise ConfigError(f"task '{task.name}': blank-filling options take no few-shot examples, chat template "
                          "or calibration here", field="continuation")
    blank = sample.input.find("_")
    if blank < 0:
        raise ValueError(f"sample {sample.id}: continuation 'blank' needs a '_' in the input")
    head = (task.instruction + fmt.shot_separator) if task.instruction else ""
    rest = (fmt.answer_lead or " ") + sample.input[blank + 1:].strip()
    requests = tuple(Loglikelihood(head + sample.input[:blank] + option, rest) for option in sample.choices)
    return PlannedSample(sample, head + sample.input, requests)


def plan_sample(task: Task, sample: Sample, shots: Sequence[Sample], seed: int = 0,
                chat_template: ChatTemplate | None = None) -> PlannedSample:
    """Build the prompt and requests for one sample under the task's format (`chat_template`:
    the model's, for a multiple-choice task that scores through it)."""
    fmt = task.format
    if task.kind is TaskKind.MULTIPLE_CHOICE:
        return _plan_choices(task, sample, shots, chat_template)
    if task.kind is TaskKind.PERPLEXITY:  # the text as it is: no format, few-shot or instruction
        if not isinstance(sample.input, str):
            raise ValueError(f"sample {sample.id}: a perplexity task scores text input, not messages")
        return PlannedSample(sample, sample.input, (LoglikelihoodRolling(sample.input),))

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


def plan_task(task: Task, samples: Sequence[Sample], seed: int = 0,
              chat_template: ChatTemplate | None = None) -> list[PlannedSample]:
    """Plan every sample of a task (few-shot pool: `task.fewshot_pool()` or the samples);
    `chat_template` is the model's (see `chat_renderer`)."""
    pool: Sequence[Sample] = ()
    if task.fewshot.k > 0:
        pool = task.fewshot_pool() if task.fewshot_pool is not None else samples
    return [plan_sample(task, s, select_shots(task, s, pool, seed), seed, chat_template) for s in samples]
