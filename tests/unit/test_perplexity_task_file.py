"""`kind: perplexity` task files: the text column scored as it is, and clear errors for keys
that could change it."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.core import TaskKind
from assay.core.requests import LoglikelihoodRolling
from assay.engine.cache import ResponseCache
from assay.engine.prompts import plan_task
from assay.engine.run import RunOptions, evaluate
from assay.errors import TaskSpecError
from assay.tasks.yaml_task import load_task_file
from assay.testing.instant import InstantModel

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "perplexity" / "public_domain.yaml"


def test_fixture_loads_and_plans_one_rolling_request_per_text() -> None:
    task = load_task_file(FIXTURE)
    samples = task.load()
    assert task.kind is TaskKind.PERPLEXITY and len(samples) == 10
    assert task.metric_names == ("word_perplexity", "byte_perplexity", "bits_per_byte", "token_perplexity")
    planned = plan_task(task, samples)
    assert [p.requests for p in planned] == [(LoglikelihoodRolling(s.input),) for s in samples]
    assert samples[0].input.startswith("We the People") and samples[0].metadata["source"].startswith("Constitution")


def test_fixture_runs_with_the_instant_model() -> None:
    run = evaluate(InstantModel(), [load_task_file(FIXTURE)], ResponseCache(None), RunOptions(show_progress=False))
    result = run.tasks["public-domain-perplexity"]
    assert result.n == 10 and result.n_failed == 0
    assert result.metrics["word_perplexity"].method == "delta"


def _write(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "d.jsonl").write_text('{"text": "We the People", "t": "x"}\n')
    path = tmp_path / "t.yaml"
    path.write_text("name: p\nkind: perplexity\ndataset:\n  path: d.jsonl\n" + extra)
    return path


@pytest.mark.parametrize("extra,field", [
    ("fields:\n  id: t\ntemplate: '{{ text }}'\n", "template"),
    ("fields:\n  input: text\n  target: t\n", "fields.target"),
    ("fields:\n  input: text\nfewshot:\n  k: 2\n", "fewshot.k"),
    ("fields:\n  input: text\ninstruction: Read this.\n", "instruction"),
    ("fields:\n  input: text\nformat:\n  question_label: Q\n", "format"),
    ("fields:\n  input: text\nscorers: [exact_match]\n", "scorers[0]"),
])
def test_keys_that_would_change_the_text_are_errors(tmp_path: Path, extra: str, field: str) -> None:
    with pytest.raises(TaskSpecError) as info:
        load_task_file(_write(tmp_path, extra))
    assert info.value.field == field and info.value.line is not None


def test_scorer_metrics_subset(tmp_path: Path) -> None:
    task = load_task_file(_write(tmp_path, "fields:\n  input: text\nscorers:\n  - name: perplexity\n"
                                           "    params: {metrics: [bits_per_byte]}\n"))
    assert task.metric_names == ("bits_per_byte",)
