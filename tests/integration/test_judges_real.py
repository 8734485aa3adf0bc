"""Judges that are real bundled models: Qwen2.5-Coder-0.5B-Instruct in-process and behind a
real llama.cpp server judging SmolLM2's answers. They are weak judges; what is tested is the
machinery — verdicts as cached further steps, unreadable verdicts failing their sample, an
arena run from the CLI, and the audits over real verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from assay.analyses.arena import read_battles
from assay.analyses.judge_audit import audit_judge
from assay.cli import main
from assay.core.requests import GenerationParams
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.scoring.judges import JudgeConfig, judged_task
from assay.stats.rating import bradley_terry
from assay.tasks.resolve import resolve_tasks

pytestmark = pytest.mark.slow

# Replacement templates that ask for the verdict alone keep the real judges' answers short
# (the defaults ask for an explanation first: ~200 tokens a verdict on 2 shared cores).
SHORT_PAIRWISE = ("Question: {{ question }}\n\nAnswer A: {{ answer_a }}\n\nAnswer B: {{ answer_b }}\n\n"
                  "Which answer is better? Reply with only [[A]], [[B]] or [[C]] for a tie.")
SHORT_RATING = ("Question: {{ question }}\nAnswer: {{ answer }}\n\nRate the answer from 1 to {{ scale }}. "
                "Reply with only the rating in the form Rating: [[n]]")


def test_qwen_judges_smollm2_answers_as_cached_steps(smollm2_llamacpp, qwen_llamacpp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (task,) = resolve_tasks(["arith-gen:n=3"])
    judged = judged_task(task, JudgeConfig(judges=(qwen_llamacpp,), scale=10, template=SHORT_RATING,
                                           params=GenerationParams(max_tokens=12)), keep_scorers=True)
    cache = ResponseCache(tmp_path / "c.sqlite")
    quiet = RunOptions(show_progress=False)
    run = evaluate(smollm2_llamacpp, [judged], cache, quiet, console=Console(quiet=True))
    assert len(run.samples) == 3
    for rec in run.samples:
        steps = rec.metadata["transcript"]
        assert len(steps) == 2 and steps[1]["model"] != steps[0]["model"]  # the judge's own lane
        if rec.error is None:
            assert 1 <= rec.scores["judge_rating"] <= 10 and "exact_match" in rec.scores
        else:  # a weak judge's unreadable verdict is a failure with its text, never a zero
            assert rec.error.startswith("judge ") and "Rating" in rec.error
    again = evaluate(smollm2_llamacpp, [judged], cache, quiet, console=Console(quiet=True))
    assert all(r.cached for r in again.samples)
    assert [r.scores for r in again.samples] == [r.scores for r in run.samples] or all(
        r.error for r in run.samples)


def test_arena_run_from_the_cli_with_a_judge_behind_a_llama_cpp_server(qwen_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "arena"
    template = tmp_path / "judge.j2"
    template.write_text(SHORT_PAIRWISE)
    code = main(["arena", "run", "llamacpp:smollm2", "--null-model", "null:constant", "--task", "arith-gen:n=2",
                 "--judge", f"openai:qwen@{qwen_server.base_url}", "--out", str(out), "--limit", "2",
                 "--judge-template", str(template), "--judge-max-tokens", "8",
                 "--n-boot", "50", "--cache", str(tmp_path / "c.sqlite")])
    assert code == 0
    arena = json.loads((out / "arena.json").read_text())
    assert arena["matches"] == 2 and arena["judge"].startswith("openai:qwen@")
    battles = read_battles(out)
    assert len(battles) + 2 * len(arena["failed"]) == 4  # two orders per match; unreadable ones listed
    if battles:
        ratings = bradley_terry(battles, n_boot=50)
        assert set(ratings.models) == {"llamacpp:smollm2", "null:constant"}
        audit = audit_judge(battles)
        assert audit.null_models and 0 <= audit.null_models[0].win_rate.value <= 1
