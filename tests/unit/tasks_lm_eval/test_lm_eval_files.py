"""lm-eval task files (tests/data/lm_eval) resolve to tasks with lm-eval's exact prompts.

The expected contexts below were checked byte for byte against lm-eval 0.4.13 itself with
benchmarks/lm_eval_prompts.py; here they pin assay's side without needing lm-eval.
"""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest

from assay.core.requests import Generate, Loglikelihood, LoglikelihoodRolling
from assay.core.responses import ChoiceOutput, Completion, LoglikelihoodResult
from assay.core.task import TaskKind
from assay.engine.prompts import plan_task
from assay.tasks.lm_eval import load_lm_eval_file, looks_like_lm_eval
from assay.tasks.resolve import resolve_task

DATA = Path(__file__).resolve().parents[2] / "data" / "lm_eval"


def _one(name: str):  # noqa: ANN202
    (task,) = resolve_task(str(DATA / name))
    return task


def _requests(task, index: int = 0) -> list:  # noqa: ANN001
    """What the model is asked for sample `index`: the planned requests, or the task's solver's."""
    planned = plan_task(task, task.load())[index]
    if task.solver is None:
        return list(planned.requests)
    asked: list = []

    class Recorder:
        async def loglikelihood(self, requests, *, model=None):  # noqa: ANN001
            asked.extend(requests)
            return [LoglikelihoodResult(-1.0, True, 1) for _ in requests]

    asyncio.run(task.solver(planned, Recorder()))
    return asked


def test_mmlu_style_letters_description_and_index_target() -> None:
    task = _one("mmlu_letters.yaml")
    assert task.kind is TaskKind.MULTIPLE_CHOICE and task.metric_names == ("acc",)
    sample = task.load()[0]
    assert sample.input == (
        "The following are multiple choice questions (with answers) about chemistry.\n\n"
        "What is the boiling point of water at sea level in Celsius?\nA. 90\nB. 100\nC. 110\nD. 120\nAnswer: B\n\n"
        "Which planet is known as the Red Planet?\nA. Venus\nB. Jupiter\nC. Mars\nD. Saturn\nAnswer: C\n\n"
        "What is the chemical symbol for gold?\nA. Ag\nB. Au\nC. Gd\nD. Go\nAnswer:"
    )
    assert sample.choices == ("A", "B", "C", "D") and sample.target == 1
    # the description is Jinja over each doc: the third doc's subject, underscores replaced
    assert task.load()[2].input.startswith("The following are multiple choice questions (with answers) about elementary mathematics.\n\n")
    requests = _requests(task)
    assert [r.continuation for r in requests] == [" A", " B", " C", " D"]
    assert all(r.context == sample.input for r in requests)
    assert task.version == "lm-eval-1.0"


def test_arc_style_cloze_draws_lm_evals_default_shots() -> None:
    task = _one("arc_cloze.yaml")
    samples = task.load()
    # lm-eval's default sampler: one random.Random(1234) over the training split, doc after doc
    assert samples[0].input == (
        "Question: Which state of matter has a fixed shape?\nAnswer: solid\n\n"
        "Question: Which of these is a source of light?\nAnswer: the Sun\n\n"
        "Question: What causes day and night on Earth?\nAnswer: Earth's rotation\n\n"
        "Question: Which of these is a renewable resource?\nAnswer:"
    )
    assert samples[0].choices == ("coal", "oil", "wind", "natural gas") and samples[0].target == 2
    assert samples[3].choices == ("a paper clip", "a rubber band", "a wooden spoon") and samples[3].target == 0
    assert [r.continuation for r in _requests(task)] == [" coal", " oil", " wind", " natural gas"]
    assert task.metric_names == ("acc", "acc_norm")


def test_include_overrides_the_base_and_keeps_its_keys() -> None:
    task = _one("arc_include.yaml")
    sample = task.load()[0]
    assert sample.input == "Q: Which state of matter has a fixed shape?\nA:\nsolid\n###\nQ: Which of these is a renewable resource?\nA:"
    assert [r.continuation for r in _requests(task)] == ["\ncoal", "\noil", "\nwind", "\nnatural gas"]


def test_generate_until_with_regex_filters() -> None:
    task = _one("gsm_regex.yaml")
    assert task.kind is TaskKind.GENERATE and not task.chat
    assert task.metric_names == ("exact_match,strict-match", "exact_match,flexible-extract")
    (request,) = _requests(task)
    assert isinstance(request, Generate)
    assert request.prompt.endswith("Question: Ann reads 12 pages a day. How many pages in 3 days?\nAnswer:")
    assert request.params.stop == ("Question:", "</s>", "<|im_end|>")
    assert request.params.max_tokens == 64 and request.params.greedy
    scorer = task.scorers[0]
    sample = task.load()[0]
    good = scorer(sample, Completion(("12 * 3 = 36 pages.\n#### 36",)))
    assert good.values == {"exact_match,strict-match": 1.0, "exact_match,flexible-extract": 1.0}
    loose = scorer(sample, Completion(("The answer is 36.",)))
    assert loose.values == {"exact_match,strict-match": 0.0, "exact_match,flexible-extract": 1.0}


def test_fewshot_split_equal_to_test_split_never_shows_the_doc_itself() -> None:
    task = _one("gsm_selfpool.yaml")
    for sample in task.load():
        question = sample.input.rsplit("Question: ", 1)[1]
        assert sample.input.count(question) == 1


def test_loglikelihood_asks_the_target_after_the_context() -> None:
    task = _one("lambada_ll.yaml")
    assert task.metric_names == ("acc", "perplexity")
    assert _requests(task) == [Loglikelihood("She opened the door and let the cat out into the", " garden")]
    score = task.scorers[0](task.load()[0], ChoiceOutput((LoglikelihoodResult(-2.0, True, 1),)))
    assert score.values["acc"] == 1.0 and score.values["perplexity"] == pytest.approx(math.exp(2.0))
    assert set(task.scorers[0].ratio_metrics) == {"perplexity"}  # exp(-mean ll) over docs, not a mean of exps


def test_loglikelihood_rolling_scores_the_target_text_as_a_perplexity_task() -> None:
    task = _one("wikitext_rolling.yaml")
    assert task.kind is TaskKind.PERPLEXITY
    assert task.metric_names == ("word_perplexity", "byte_perplexity", "bits_per_byte")
    assert _requests(task) == [LoglikelihoodRolling("She opened the door and let the cat out into the garden")]


def test_group_file_gives_each_member_with_its_overrides() -> None:
    tasks = resolve_task(str(DATA / "group.yaml"))
    assert [t.name for t in tasks] == ["mmlu_letters_fixture", "arc_cloze_fixture"]
    assert tasks[1].load()[0].input == "Question: Which of these is a renewable resource?\nAnswer:"


def test_assay_task_files_are_not_taken_for_lm_eval(tmp_path: Path) -> None:
    own = tmp_path / "own.yaml"
    own.write_text("name: t\nkind: multiple_choice\ndataset: {path: d.jsonl}\nfields: {input: q, choices: c, target: a}\n")
    assert not looks_like_lm_eval(own)
    assert looks_like_lm_eval(DATA / "arc_include.yaml") and looks_like_lm_eval(DATA / "group.yaml")


def test_choice_scorer_normalises_by_characters_as_lm_eval_does() -> None:
    task = load_lm_eval_file(DATA / "arc_cloze.yaml")[0]
    sample = task.load()[0]  # coal, oil, wind, natural gas; target 2 (wind)
    lls = [-4.0, -3.9, -4.2, -9.0]  # per char: -1.0, -1.3, -1.05, -0.818...
    score = task.scorers[0](sample, ChoiceOutput(tuple(LoglikelihoodResult(v, False, 1) for v in lls)))
    assert score.values == {"acc": 0.0, "acc_norm": 0.0}
    assert score.extracted == 1
    lls = [-4.0, -4.4, -3.0, -12.0]
    score = task.scorers[0](sample, ChoiceOutput(tuple(LoglikelihoodResult(v, False, 1) for v in lls)))
    assert score.values == {"acc": 1.0, "acc_norm": 1.0}


@pytest.mark.parametrize("name", ["mmlu_letters.yaml", "arc_cloze.yaml", "gsm_regex.yaml", "lambada_ll.yaml",
                                  "wikitext_rolling.yaml"])
def test_evaluate_runs_the_file_end_to_end(name: str, tmp_path: Path) -> None:
    from assay import evaluate
    from assay.testing import InstantModel

    run = evaluate(InstantModel(reply=lambda req: " 36\n#### 36"), [str(DATA / name)], cache=tmp_path / "c.sqlite", store=False)
    (task,) = resolve_task(str(DATA / name))
    assert set(run.metrics[task.name]) == set(task.metric_names)
    run.save(tmp_path / "run")  # the scorers' specs (filters, exact_match options) are JSON
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert saved["tasks"][task.name]["scorers"][0]["name"].startswith(("lm_eval_", "perplexity"))


def test_csv_data_description_column_and_empty_target_delimiter() -> None:
    pytest.importorskip("datasets")
    task = _one("piqa_csv.yaml")
    sample = task.load()[1]
    assert sample.input == "home Goal: To dry wet shoes quickly,\nSolution:"  # description: the `domain` column
    assert sample.target == 1  # datasets reads the CSV's label column as an int, as lm-eval sees it
    # target_delimiter "" cannot be an answer lead: the task's solver asks the options as written
    assert [r.continuation for r in _requests(task, 1)] == [" put them in the freezer.", " stuff them with newspaper."]


def test_generate_with_choices_compares_with_the_chosen_text() -> None:
    task = _one("boolq_gen.yaml")
    samples = task.load()
    assert samples[0].target == "yes" and samples[1].target == "no"
    assert "\n---\n" in samples[0].input  # shots end with the fewshot_delimiter
    (request,) = _requests(task)
    assert request.params.stop == ("\n---\n",) and request.params.max_tokens == 256 and request.params.greedy
    scorer = task.scorers[0]
    assert scorer.metrics == ("exact_match,clean",)
    assert scorer(samples[0], Completion((" Yes ",))).values == {"exact_match,clean": 1.0}


def test_text_dataset_gives_one_doc_per_line() -> None:
    task = _one("text_rolling.yaml")
    assert [s.input for s in task.load()] == [
        "The quick brown fox jumps over the lazy dog.", "", "A second paragraph, after an empty line.", "Last line — with a dash."]


def test_fewshot_samples_written_into_the_file(tmp_path: Path) -> None:
    """gsm8k-cot style: the shots are docs in fewshot_config.samples, in their own columns."""
    (tmp_path / "cot.yaml").write_text(f"""task: cot
dataset_path: json
dataset_kwargs:
  data_files:
    test: {DATA / "data" / "gsm_test.jsonl"}
test_split: test
output_type: generate_until
doc_to_text: 'Q: {{{{question}}}}

  A:'
doc_to_target: "{{{{answer.split('####')[-1].strip() if answer is defined else target}}}}"
num_fewshot: 2
should_decontaminate: true
fewshot_config:
  sampler: first_n
  samples:
  - question: There are 3 cars and 2 more arrive. How many cars?
    target: 3 + 2 = 5. The answer is 5.
  - question: Leah had 32 chocolates and ate 10. How many are left?
    target: 32 - 10 = 22. The answer is 22.
""")
    (task,) = resolve_task(str(tmp_path / "cot.yaml"))
    sample = task.load()[0]
    assert sample.input == (
        "Q: There are 3 cars and 2 more arrive. How many cars?\nA: 3 + 2 = 5. The answer is 5.\n\n"
        "Q: Leah had 32 chocolates and ate 10. How many are left?\nA: 32 - 10 = 22. The answer is 22.\n\n"
        "Q: Ann reads 12 pages a day. How many pages in 3 days?\nA:"
    )
    assert sample.target == "36"
