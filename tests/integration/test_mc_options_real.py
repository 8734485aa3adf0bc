"""Multiple-choice scoring options and catalog tasks on the real SmolLM2 (issue 12, items 3-4):
the letter variant, the calibrated variant and the chat-template variant run end to end, and
the chat template's rendered context is what the model scored."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.tasks.catalog import make_catalog_task

DATA = Path(__file__).parents[1] / "data" / "catalog"
QUIET = RunOptions(show_progress=False)

pytestmark = pytest.mark.slow


def _run(model, task, tmp_path):  # type: ignore[no-untyped-def]
    return evaluate(model, [task], ResponseCache(tmp_path / "c.sqlite"), QUIET)


def test_letter_and_calibrated_mmlu_run_end_to_end(smollm2, tmp_path):
    task = make_catalog_task("mmlu", "calibrate=true", data=DATA)
    run = _run(smollm2, task, tmp_path)
    assert len(run.samples) == 3
    for record in run.samples:
        assert set(record.scores) == {"acc", "acc_norm", "acc_mutual_info"}
        assert not any(math.isnan(v) for v in record.scores.values())
        conditional, neutral = record.response[:4], record.response[4:]
        assert len(neutral) == 4 and all(lp < 0 for lp in conditional + neutral)
        assert conditional != neutral  # the neutral context really is a different request


def test_chat_template_scores_after_the_assistant_turn(smollm2, tmp_path):
    task = make_catalog_task("arc_easy", "chat_template=true", data=DATA)
    run = _run(smollm2, task, tmp_path)
    record = run.samples[0]
    assert record.prompt.startswith("<|im_start|>") and record.prompt.endswith("<|im_start|>assistant\n")
    assert "Question: An astronomer observes" in record.prompt
    assert not any(math.isnan(v) for v in record.scores.values())


def test_winogrande_partial_scoring_runs(smollm2, tmp_path):
    run = _run(smollm2, make_catalog_task("winogrande", data=DATA), tmp_path)
    assert [len(r.response) for r in run.samples] == [2, 2]
    assert all(not math.isnan(r.scores["acc"]) for r in run.samples)


def test_lambada_and_wikitext_perplexity_run(smollm2, tmp_path):
    run = evaluate(smollm2, [make_catalog_task("lambada", data=DATA), make_catalog_task("wikitext2", data=DATA)],
                   ResponseCache(tmp_path / "c.sqlite"), QUIET)
    lambada, wikitext = run.tasks["lambada"], run.tasks["wikitext2"]
    assert lambada.metrics["perplexity"].value > 1 and lambada.metrics["acc"].value in (0.0, 1.0)
    assert 1 < wikitext.metrics["word_perplexity"].value < 1e4 and wikitext.metrics["bits_per_byte"].value > 0
