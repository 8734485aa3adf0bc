"""Judged tasks through the real engine with scripted judges (InstantModel): pointwise,
FLASK skills, pairwise in both orders, reference-guided, juries with Fleiss' κ, the task
file's `judge:` block, and an unreadable verdict failing its sample (never a zero).
Real bundled judges run in tests/integration/test_judges_real.py."""

from __future__ import annotations

import json
import math
import re

import pytest

from assay.core import Sample, Task, TaskKind
from assay.core.requests import GenerationParams
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.errors import TaskSpecError
from assay.scoring.judges import (Aggregate, JudgeConfig, JudgeMode, UnreadableVerdict, fleiss, judged_task,
                                  jury_agreement, parse_pairwise, parse_rating, parse_skill_ratings)
from assay.core.pairwise import Outcome
from assay.tasks.yaml_task import load_task_file
from assay.testing import InstantModel

QUIET = RunOptions(show_progress=False)


def base_task(n: int = 4, **meta) -> Task:  # type: ignore[no-untyped-def]
    samples = [Sample(id=f"q{i}", input=f"What is {i}+{i}?", target=str(2 * i), metadata=dict(meta)) for i in range(n)]
    return Task(name="arith", version="1", kind=TaskKind.GENERATE, load=lambda: samples, scorers=(),
                generation=GenerationParams(max_tokens=8))


def prompt_of(req) -> str:  # type: ignore[no-untyped-def]
    return req.messages[-1].content if req.messages else req.prompt


def test_verdict_parsing_reads_the_asked_form_and_refuses_the_rest() -> None:
    assert parse_pairwise("A is more helpful. [[A]]") is Outcome.FIRST
    assert parse_pairwise("Final verdict: [[C]]") is Outcome.TIE
    assert parse_pairwise("My verdict: B") is Outcome.SECOND
    assert parse_rating("Good. Rating: [[7]]", 10) == 7
    assert parse_skill_ratings("correctness: [[4]]\nconciseness: [[2]]", ["correctness", "conciseness"], 5) == {
        "correctness": 4, "conciseness": 2}
    for text in ("I cannot help with that.", "[[A]] no wait [[B]]", ""):
        with pytest.raises(UnreadableVerdict):
            parse_pairwise(text)
    with pytest.raises(UnreadableVerdict, match="outside 1 to 10"):
        parse_rating("Rating: [[11]]", 10)
    with pytest.raises(UnreadableVerdict, match="no rating for skill 'conciseness'"):
        parse_skill_ratings("correctness: [[4]]", ["correctness", "conciseness"], 5)


def test_pointwise_judge_is_a_cached_further_step_of_the_sample(tmp_path) -> None:
    judge = InstantModel(name="judge", reply=lambda r: "Fine. Rating: [[8]]")
    model = InstantModel()
    cache = ResponseCache(tmp_path / "c.sqlite")
    task = judged_task(base_task(), JudgeConfig(judges=(judge,), scale=10))
    run = evaluate(model, [task], cache, QUIET)
    assert [r.scores["judge_rating"] for r in run.samples] == [8.0] * 4
    assert run.samples[0].scores["judge_score"] == pytest.approx(7 / 9)
    assert run.samples[0].metadata["transcript"][1]["model"] == "judge"
    assert "What is 0+0?" in prompt_of(judge.calls[0]) and "42" in prompt_of(judge.calls[0])
    assert run.tasks["arith"].metrics["judge_score"].value == pytest.approx(7 / 9)
    judge.calls.clear()
    model.calls.clear()
    again = evaluate(model, [task], cache, QUIET)  # every step replays from the cache
    assert judge.calls == [] and model.calls == [] and all(r.cached for r in again.samples)


def test_flask_skills_are_rated_one_by_one() -> None:
    judge = InstantModel(name="judge", reply=lambda r: "correctness: [[5]]\nconciseness: [[3]]")
    task = judged_task(base_task(2), JudgeConfig(judges=(judge,), scale=5, skills=("correctness", "conciseness")))
    run = evaluate(InstantModel(), [task], ResponseCache(None), QUIET)
    scores = run.samples[0].scores
    assert scores["skill_correctness"] == 1.0 and scores["skill_conciseness"] == 0.5
    assert scores["judge_rating"] == 4.0


def test_an_unreadable_or_refused_verdict_fails_the_sample_and_keeps_the_text() -> None:
    judge = InstantModel(name="judge", reply=lambda r: "Rating: [[9]]" if "1+1" in prompt_of(r)
                         else "I'm sorry, I can't evaluate that.")
    run = evaluate(InstantModel(), [judged_task(base_task(3), JudgeConfig(judges=(judge,)))], ResponseCache(None), QUIET)
    failed = [r for r in run.samples if r.error]
    assert sorted(r.sample_id for r in failed) == ["q0", "q2"]
    assert "no rating" in failed[0].error and "I'm sorry" in failed[0].error and "judge judge" in failed[0].error
    assert all(math.isnan(r.scores["judge_score"]) for r in failed)  # failed, not zero
    assert failed[0].metadata["transcript"][1]["responses"]  # the judge's answer is kept
    assert run.tasks["arith"].n_failed == 2 and run.tasks["arith"].metrics["judge_score"].value == pytest.approx(8 / 9)


def test_pairwise_asks_both_orders_and_scores_ties_and_consistency() -> None:
    # A judge that always picks position A: the test answer wins as A and loses as B.
    position_a = InstantModel(name="posA", reply=lambda r: "[[A]]")
    task = judged_task(base_task(2, ref="a baseline answer"),
                       JudgeConfig(judges=(position_a,), mode=JudgeMode.PAIRWISE, baseline_field="ref"))
    run = evaluate(InstantModel(), [task], ResponseCache(None), QUIET)
    rec = run.samples[0]
    assert rec.scores == {"win_rate": 0.5, "order_consistent": 0.0}
    assert rec.extracted["judges"]["posA"] == {"as_first": "win", "as_second": "loss"}
    prompts = [prompt_of(c) for c in position_a.calls]
    firsts = [p for p in prompts if p.index("42") < p.index("a baseline answer")]
    assert len(firsts) == len(prompts) / 2  # both orders asked for every sample

    # A judge preferring the longer answer against a baseline model with a longer answer.
    longer = InstantModel(name="longer", reply=lambda r: "[[A]]" if _a_longer(prompt_of(r)) else "[[B]]")
    baseline = InstantModel(name="base", reply=lambda r: "a much longer baseline answer")
    task = judged_task(base_task(2), JudgeConfig(judges=(longer,), mode=JudgeMode.PAIRWISE, baseline=baseline))
    run = evaluate(InstantModel(), [task], ResponseCache(None), QUIET)
    assert all(r.scores == {"win_rate": 0.0, "order_consistent": 1.0} for r in run.samples)
    assert len(baseline.calls) == 2


def _a_longer(prompt: str) -> bool:
    a = re.search(r"\[Assistant A's answer\]\n(.*?)\n\n\[Assistant B", prompt, re.S).group(1)
    b = re.search(r"\[Assistant B's answer\]\n(.*?)\n\nAfter", prompt, re.S).group(1)
    return len(a) > len(b)


def test_reference_guided_shows_the_target_to_the_judge() -> None:
    judge = InstantModel(name="judge", reply=lambda r: "Rating: [[5]]" if "[Reference answer]\n2" in prompt_of(r)
                         else "Rating: [[1]]")
    task = judged_task(base_task(2), JudgeConfig(judges=(judge,), mode=JudgeMode.REFERENCE, scale=5))
    run = evaluate(InstantModel(), [task], ResponseCache(None), QUIET)
    assert [r.scores["judge_rating"] for r in run.samples] == [1.0, 5.0]  # targets "0" and "2"


def test_jury_aggregates_and_reports_fleiss_kappa_checked_against_hand_computation() -> None:
    judges = (InstantModel(name="j1", reply=lambda r: "Rating: [[4]]"),
              InstantModel(name="j2", reply=lambda r: "Rating: [[4]]"),
              InstantModel(name="j3", reply=lambda r: "Rating: [[1]]" if "0+0" in prompt_of(r) else "Rating: [[4]]"))
    for agg, first in ((Aggregate.MEAN, 3.0), (Aggregate.MAJORITY, 4.0)):
        task = judged_task(base_task(4), JudgeConfig(judges=judges, scale=5, aggregate=agg))
        run = evaluate(InstantModel(), [task], ResponseCache(None), QUIET)
        assert run.samples[0].scores["judge_rating"] == first
        assert [r.scores["jury_unanimous"] for r in run.samples] == [0.0, 1.0, 1.0, 1.0]
    agreement = jury_agreement(run.samples)
    # Fleiss (1971) by hand: P_i = (1/6)(Σ n_ij² − 3) → items: 1/3, 1, 1, 1; P̄ = 5/6;
    # p_j = (1/12, 11/12); P̄e = 1/144 + 121/144 = 122/144; κ = (P̄ − P̄e)/(1 − P̄e).
    pe = 122 / 144
    assert agreement.kappa == pytest.approx((5 / 6 - pe) / (1 - pe))
    assert agreement.n_items == 4 and agreement.n_judges == 3 and agreement.unanimous == 0.75
    assert math.isnan(fleiss([["a", "a"], ["a", "a"]]).kappa)


def test_task_file_judge_block_builds_a_judged_task(tmp_path) -> None:
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps({"q": f"Say {w}", "a": w, "ref": "base"}) + "\n"
                                                 for w in ("hi", "yo")))
    (tmp_path / "t.yaml").write_text(
        "name: judged\nkind: generate\ndataset: {path: rows.jsonl}\nfields: {input: q, target: a}\n"
        "judge:\n  model: [smollm2, gemma3-270m]\n  mode: pairwise\n  baseline_field: ref\n  aggregate: majority\n"
        "  template: 'Q {{ question }} A {{ answer_a }} B {{ answer_b }} [[A]]/[[B]]/[[C]]'\n")
    task = load_task_file(tmp_path / "t.yaml")  # judges are not loaded by reading the file
    assert task.solver is not None and task.metric_names == ("win_rate", "order_consistent", "jury_unanimous")
    assert task.scorers[0].n_judges == 2 and task.scorers[0].aggregate is Aggregate.MAJORITY


@pytest.mark.parametrize("block, message", [
    ("judge: {model: smollm2, mode: pairwise}\n", "exactly one of 'baseline'"),
    ("judge: {model: smollm2, template: '{{ oops'}\n", "judge template does not parse"),
    ("judge: {model: smollm2, scale: 1}\n", "judge.scale"),
    ("judge: {model: smollm2, mode: rank}\n", "judge.mode"),
])
def test_task_file_judge_block_errors_name_the_line_and_field(tmp_path, block, message) -> None:
    (tmp_path / "rows.jsonl").write_text(json.dumps({"q": "x", "a": "y"}) + "\n")
    (tmp_path / "t.yaml").write_text("name: judged\nkind: generate\ndataset: {path: rows.jsonl}\n"
                                     "fields: {input: q, target: a}\n" + block)
    with pytest.raises(TaskSpecError) as info:
        load_task_file(tmp_path / "t.yaml")
    assert message in str(info.value) and "t.yaml:5" in str(info.value)


def test_the_run_report_gains_a_judge_section_that_flags_a_position_biased_judge(tmp_path) -> None:
    from assay.analyses.judge_audit import battles_from_records
    from assay.report.html import build_report

    position_a = InstantModel(name="posA", reply=lambda r: "[[A]]")
    fair = InstantModel(name="fair", reply=lambda r: "[[C]]")
    task = judged_task(base_task(30, ref="the baseline's answer"),
                       JudgeConfig(judges=(position_a, fair), mode=JudgeMode.PAIRWISE, baseline_field="ref"))
    run = evaluate(InstantModel(), [task], ResponseCache(None), QUIET)
    battles = battles_from_records(run.samples)
    assert len(battles) == 30 * 2 * 2 and {b.judge for b in battles} == {"posA", "fair"}
    html = build_report([run])
    section = html[html.index('<section id="judges">'):]
    fair_part, position_part = section.split("judge fair")[1].split("judge posA")
    assert "FLAGGED" in position_part and "FLAGGED" not in fair_part
    assert "Fleiss κ" in section
