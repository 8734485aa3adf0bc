"""Judged environments: once an episode is done, the judge model rates what the environment
names (`env.judge_requests()`: a prompt id and its fields), each rating a cached engine step
under the judge's own identity, and the environment turns the ratings into its outcome
(`env.set_verdicts`). The prompts are the judges' own (MT-Bench's single-answer grading,
shared with the `mt-bench` task); an unreadable verdict is the judge's failure, attributed
to the environment's side (`judge_error`), never to the agent."""

from __future__ import annotations

from typing import Any

from assay.core.messages import ChatMessage
from assay.core.requests import Generate, GenerationParams
from assay.core.solver import StepContext
from assay.scoring.judges.lazy import LazyModel
from assay.scoring.judges.mtbench_prompts import TURN_1, TURN_2
from assay.scoring.judges.templates import render_judge_prompt
from assay.scoring.judges.verdicts import UnreadableVerdict, parse_rating

PROMPTS = {"mt-bench-turn1": (TURN_1, 10), "mt-bench-turn2": (TURN_2, 10)}
"""Prompt id -> (template, rating scale)."""


async def judge_episode(env: Any, ctx: StepContext, judge: Any, params: GenerationParams) -> tuple[str, list[dict]]:
    """(the outcome, one record per verdict: prompt id, rating, the judge's text)."""
    records: list[dict[str, Any]] = []
    ratings = []
    model = judge.model if isinstance(judge, LazyModel) else judge
    for prompt_id, fields in env.judge_requests():
        template, scale = PROMPTS[prompt_id]
        prompt = render_judge_prompt(template, **fields)
        verdict = await ctx.generate(Generate(messages=(ChatMessage("user", prompt),), params=params), model=model)
        record: dict[str, Any] = {"prompt": prompt_id, "verdict": verdict.text}
        records.append(record)
        try:
            record["rating"] = parse_rating(verdict.text, scale)
        except UnreadableVerdict as exc:
            record["error"] = str(exc)
            return "judge_error", records
        ratings.append(record["rating"])
    return env.set_verdicts(ratings), records
