"""The engine with a model-free instant adapter: planning, dedup, cache, failures, outputs."""

from __future__ import annotations

import json
import math

import pytest

from assay.core import ChoiceOutput, Completion, FewShot, PromptFormat, Sample, Score, Task, TaskKind
from assay.core.requests import GenerationParams, Loglikelihood
from assay.engine.cache import ResponseCache
from assay.engine.prompts import plan_task
from assay.engine.run import RunOptions, evaluate
from assay.testing import InstantModel


class ArgmaxScorer:
    name = "argmax"
    metrics = ("acc",)

    def __call__(self, sample: Sample, output) -> Score:  # type: ignore[no-untyped-def]
        assert isinstance(output, ChoiceOutput)
        scores = [r.logprob for r in output.results]
        pick = max(range(len(scores)), key=scores.__getitem__)
        return Score({"acc": float(pick == sample.target)}, extracted=pick)


class EqualsScorer:
    name = "equals"
    metrics = ("exact_match",)

    def __call__(self, sample: Sample, output) -> Score:  # type: ignore[no-untyped-def]
        assert isinstance(output, Completion)
        return Score({"exact_match": float(output.text.strip() == sample.target)}, extracted=output.text)


def mc_task(n: int = 10, k: int = 0) -> Task:
    samples = [
        Sample(id=f"q{i}", input=f"What is {i}+1?", target=i % 3, choices=(str(i + 1), str(i + 2), str(i)),
               metadata={"group": f"g{i % 2}"})
        for i in range(n)
    ]
    return Task(name="toy-mc", version="1", kind=TaskKind.MULTIPLE_CHOICE, load=lambda: samples,
                scorers=(ArgmaxScorer(),), fewshot=FewShot(k=k))


def gen_task(n: int = 6) -> Task:
    samples = [Sample(id=f"g{i}", input=f"Say {40 + i}", target=str(40 + i)) for i in range(n)]
    return Task(name="toy-gen", version="1", kind=TaskKind.GENERATE, load=lambda: samples,
                scorers=(EqualsScorer(),), generation=GenerationParams(max_tokens=4))


def test_prompt_layout_and_continuations():
    planned = plan_task(mc_task(2), mc_task(2).load())
    p = planned[1]
    assert p.prompt == "Question: What is 1+1?\nAnswer:"  # the default is cloze: options are not listed
    assert [r.continuation for r in p.requests] == [" 2", " 3", " 1"]
    assert all(isinstance(r, Loglikelihood) and r.context == p.prompt for r in p.requests)
    listed = Task(**{**mc_task(2).__dict__, "format": PromptFormat(show_choices=True)})
    p = plan_task(listed, listed.load())[1]
    assert p.prompt == "Question: What is 1+1?\nChoices:\nA. 2\nB. 3\nC. 1\nAnswer:"
    assert [r.continuation for r in p.requests] == [" 2", " 3", " 1"]


def test_few_shot_never_uses_the_item_and_is_stable():
    task = mc_task(8, k=2)
    first = plan_task(task, task.load())
    again = plan_task(task, task.load())
    assert [p.prompt for p in first] == [p.prompt for p in again]
    for p in first:
        assert p.prompt.count("Question:") == 3
        assert p.prompt.count(p.sample.input) == 1  # the item itself is not one of its shots
    # Dropping other items does not change a sample's shots when the pool is the same.
    pool_task = Task(**{**task.__dict__, "fewshot_pool": task.load})
    a = plan_task(pool_task, task.load())[3]
    b = plan_task(pool_task, task.load()[3:4])[0]
    assert a.prompt == b.prompt


def test_run_caches_everything_and_rerun_computes_nothing(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    model = InstantModel()
    first = evaluate(model, [mc_task(), gen_task()], cache, RunOptions(show_progress=False))
    assert first.manifest['requests']['computed'] == 30 + 6 and first.manifest['requests']['cache_hits'] == 0
    model.calls.clear()
    second = evaluate(model, [mc_task(), gen_task()], cache, RunOptions(show_progress=False))
    assert model.calls == [] and second.manifest['requests']['cache_hits'] == 36
    assert [r.scores for r in first.results.records] == [r.scores for r in second.results.records]
    assert all(r.cached for r in second.results.records)


def test_duplicate_requests_are_sent_once(tmp_path):
    samples = [Sample(id=f"d{i}", input="same", target=0, choices=("x", "y")) for i in range(5)]
    task = Task(name="dups", version="1", kind=TaskKind.MULTIPLE_CHOICE, load=lambda: samples, scorers=(ArgmaxScorer(),))
    model = InstantModel()
    run = evaluate(model, [task], ResponseCache(None), RunOptions(show_progress=False))
    assert len(model.calls) == 2 and run.manifest['requests']['requests'] == 10 and run.manifest['requests']['unique_requests'] == 2


def test_failures_are_reported_per_sample_and_retried(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    flaky = InstantModel(fail_if=lambda r: "3+1" in getattr(r, "context", ""))
    run = evaluate(flaky, [mc_task()], cache, RunOptions(show_progress=False))
    failed = [r for r in run.results.records if r.error]
    assert [r.sample_id for r in failed] == ["q3"] and math.isnan(failed[0].scores["acc"])
    assert run.tasks['toy-mc'].metrics["acc"].n == 9 and run.tasks['toy-mc'].metrics["acc"].n_failed == 1
    healthy = InstantModel()
    rerun = evaluate(healthy, [mc_task()], cache, RunOptions(show_progress=False))
    assert len(healthy.calls) == 3  # only the failed sample's three options
    assert not any(r.error for r in rerun.results.records)


def test_limit_and_outputs(tmp_path):
    run = evaluate(InstantModel(), [mc_task(), gen_task()], ResponseCache(None), RunOptions(limit=4, show_progress=False))
    out = run.save(tmp_path / "out")
    lines = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert len(lines) == 8
    row = lines[0]
    for key in ("run_id", "task", "model", "format", "sample_id", "prompt", "response", "extracted", "target",
                "scores", "tokens_in", "tokens_out", "latency_s", "cached", "error"):
        assert key in row
    results = json.loads((out / "results.json").read_text())
    m = results["tasks"]["toy-mc"]["metrics"]["acc"]
    assert m["n"] == 4 and m["ci_low"] <= m["value"] <= m["ci_high"] and m["method"]
    assert results["manifest"]["requests"]["computed"] == 4 * 3 + 4
    assert results["manifest"]["tasks"]["toy-gen"]["version"] == "1"


def test_chat_generation_prompt_uses_messages():
    task = gen_task(1)
    p = plan_task(task, task.load())[0]
    (req,) = p.requests
    assert req.messages is not None and req.messages[-1].content == "Say 40"


def test_custom_format_moves_whitespace_to_the_answer():
    fmt = PromptFormat(question_label="Q", answer_label="A", label_separator=" - ")
    task = Task(**{**mc_task(1).__dict__, "format": fmt})
    p = plan_task(task, task.load())[0]
    assert p.prompt.endswith("A -") and p.requests[0].continuation.startswith(" ")
