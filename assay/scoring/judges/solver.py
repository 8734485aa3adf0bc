"""The judged-task solver: answer the sample, then ask each judge — further cached steps of
the same sample (`StepContext.generate(..., model=judge)`), so verdicts are cached, resumed
after a crash and counted like any other request.

Pairwise judging always asks both orders (the answer under test first, then second) and
keeps both verdicts: their disagreement is the judge's position noise, which audits and
ratings use. A verdict that cannot be read fails the sample with the judge's text in the
message (and the transcript keeps every step), never a zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from assay.core.messages import ChatMessage
from assay.core.pairwise import Outcome
from assay.core.requests import Generate
from assay.core.responses import Completion
from assay.core.solver import PlannedSample, Solver, StepContext, StepFailed
from assay.scoring.judges.config import JudgeConfig, JudgeMode
from assay.scoring.judges.lazy import LazyModel
from assay.scoring.judges.templates import PAIRWISE, POINTWISE, render_judge_prompt
from assay.scoring.judges.verdicts import UnreadableVerdict, parse_pairwise, parse_rating, parse_skill_ratings


@dataclass(frozen=True)
class JudgedCompletion(Completion):
    """The answer under evaluation (`texts`, `usage` as the model gave them) with the judges'
    verdicts in `judgement`: per judge, a rating (`rating`, `skills`) or, pairwise, the
    outcome in each order (`as_first`, `as_second`: "win", "loss" or "tie" for the answer
    under test) and the baseline's answer length."""

    judgement: Mapping[str, Any] = field(default_factory=dict)


def question_text(planned: PlannedSample) -> str:
    """What the user asked: the sample's text, or its conversation's last user turn."""
    source = planned.sample.input
    if isinstance(source, str):
        return source
    users = [m.content for m in source if m.role == "user"]
    return users[-1] if users else planned.prompt


def judge_name(judge: Any) -> str:
    return str(getattr(judge, "spec", None) or judge.info.name)


def _model(judge: Any) -> Any:
    return judge.model if isinstance(judge, LazyModel) else judge


async def _ask(ctx: StepContext, judge: Any, prompt: str, config: JudgeConfig) -> str:
    request = Generate(messages=(ChatMessage("user", prompt),), params=config.params)
    return (await ctx.generate(request, model=_model(judge))).text


def _reference(planned: PlannedSample) -> str:
    target = planned.sample.target
    if isinstance(target, tuple):
        return str(target[0]) if target else ""
    return str(target)


_FROM_TEST_SIDE = {Outcome.FIRST: "win", Outcome.SECOND: "loss", Outcome.TIE: "tie"}
_FROM_BASELINE_SIDE = {Outcome.FIRST: "loss", Outcome.SECOND: "win", Outcome.TIE: "tie"}


async def _pointwise(ctx: StepContext, judge: Any, config: JudgeConfig, planned: PlannedSample,
                     answer: str) -> dict[str, Any]:
    reference = _reference(planned) if config.mode is JudgeMode.REFERENCE else ""
    prompt = render_judge_prompt(config.template or POINTWISE, question=question_text(planned), answer=answer,
                                 reference=reference, scale=config.scale, skills=list(config.skills))
    text = await _ask(ctx, judge, prompt, config)
    if config.skills:
        skills = parse_skill_ratings(text, config.skills, config.scale)
        return {"rating": sum(skills.values()) / len(skills), "skills": skills}
    return {"rating": parse_rating(text, config.scale)}


async def _baseline_answer(ctx: StepContext, config: JudgeConfig, planned: PlannedSample) -> str:
    if config.baseline_field is not None:
        value = planned.sample.metadata.get(config.baseline_field)
        if value is None:
            raise StepFailed(f"sample {planned.sample.id} has no '{config.baseline_field}' field for the baseline answer")
        return str(value)
    return (await ctx.generate(planned.requests[0], model=_model(config.baseline))).text


async def _pairwise(ctx: StepContext, judge: Any, config: JudgeConfig, planned: PlannedSample,
                    answer: str, baseline: str) -> dict[str, Any]:
    question = question_text(planned)
    template = config.template or PAIRWISE
    first = render_judge_prompt(template, question=question, answer_a=answer, answer_b=baseline, reference="")
    second = render_judge_prompt(template, question=question, answer_a=baseline, answer_b=answer, reference="")
    verdict_first = parse_pairwise(await _ask(ctx, judge, first, config))
    verdict_second = parse_pairwise(await _ask(ctx, judge, second, config))
    return {"as_first": _FROM_TEST_SIDE[verdict_first], "as_second": _FROM_BASELINE_SIDE[verdict_second]}


def judge_solver(config: JudgeConfig) -> Solver:
    """A solver that generates the sample's answer, then asks every judge of `config`."""

    async def solve(planned: PlannedSample, ctx: StepContext) -> JudgedCompletion:
        answer = await ctx.generate(planned.requests[0])
        baseline = await _baseline_answer(ctx, config, planned) if config.mode is JudgeMode.PAIRWISE else None
        verdicts: dict[str, Any] = {}
        for judge in config.judges:
            name = judge_name(judge)
            try:
                if baseline is not None:
                    verdicts[name] = await _pairwise(ctx, judge, config, planned, answer.text, baseline)
                else:
                    verdicts[name] = await _pointwise(ctx, judge, config, planned, answer.text)
            except UnreadableVerdict as exc:
                raise StepFailed(f"judge {name}: {exc}") from None
        judgement: dict[str, Any] = {"mode": config.mode.value, "judges": verdicts, "scale": config.scale,
                                     "aggregate": config.aggregate.value, "answer_chars": len(answer.text)}
        if baseline is not None:
            judgement["baseline_chars"] = len(baseline)
        return JudgedCompletion(texts=answer.texts, finish_reason=answer.finish_reason, usage=answer.usage,
                                error=answer.error, judgement=judgement)

    return solve
