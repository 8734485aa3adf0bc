"""Bad input gives one located error: the file, the line and the field, plus a fix where we can."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.errors import ConfigError, DataError, TaskSpecError
from assay.tasks.jsonl_mc import load_jsonl_mc
from assay.tasks.loaders import load_rows
from assay.tasks.yaml_task import load_task_file

GOOD_MC = """\
name: quiz
kind: multiple_choice
dataset:
  path: data.jsonl
fields:
  input: question
  choices: options
  target: answer
fewshot:
  k: 2
"""

ROWS = [
    {"question": "2 + 2?", "options": ["3", "4"], "answer": 1},
    {"question": "3 + 3?", "options": ["6", "7"], "answer": 0},
]


def project(tmp_path: Path, yaml_text: str = GOOD_MC, rows: list[dict] | None = None, raw_data: str | None = None) -> Path:
    data = raw_data if raw_data is not None else "".join(json.dumps(r) + "\n" for r in (ROWS if rows is None else rows))
    (tmp_path / "data.jsonl").write_text(data, encoding="utf-8")
    task = tmp_path / "task.yaml"
    task.write_text(yaml_text, encoding="utf-8")
    return task


def assert_located(error: ConfigError, file: Path, line: int, field: str | None) -> None:
    """The error carries the location and its message says it, as the CLI will print it."""
    assert (Path(error.file or ""), error.line, error.field) == (file, line, field)
    text = str(error)
    assert f"{file}:{line}" in text
    if field is not None:
        assert f"field '{field}'" in text


def test_good_files_load(tmp_path):
    assert len(load_task_file(project(tmp_path)).load()) == 2


# --- the task file --------------------------------------------------------------------


def test_yaml_syntax_error(tmp_path):
    task = project(tmp_path, GOOD_MC.replace("  choices: options", "  choices: [options"))
    with pytest.raises(TaskSpecError, match="YAML syntax error") as info:
        load_task_file(task)
    assert_located(info.value, task, 8, "target")  # the unclosed bracket swallows the next line's key


def test_yaml_tab_indentation(tmp_path):
    task = project(tmp_path, GOOD_MC.replace("  k: 2", "\tk: 2"))
    with pytest.raises(TaskSpecError, match="YAML syntax error") as info:
        load_task_file(task)
    assert_located(info.value, task, 10, "k")


def test_misspelt_key_suggests_the_right_one(tmp_path):
    task = project(tmp_path, GOOD_MC.replace("fewshot:", "few_shot:"))
    with pytest.raises(TaskSpecError, match="unknown key 'few_shot'") as info:
        load_task_file(task)
    assert_located(info.value, task, 9, "few_shot")
    assert info.value.hint == "did you mean 'fewshot'?"
    assert "did you mean 'fewshot'?" in str(info.value)


def test_misspelt_nested_key(tmp_path):
    task = project(tmp_path, GOOD_MC.replace("  choices: options", "  choice: options"))
    with pytest.raises(TaskSpecError, match="unknown key 'choice'") as info:
        load_task_file(task)
    assert_located(info.value, task, 7, "fields.choice")
    assert info.value.hint == "did you mean 'choices'?"


def test_wrong_type(tmp_path):
    task = project(tmp_path, GOOD_MC.replace("k: 2", 'k: "two"'))
    with pytest.raises(TaskSpecError, match="valid integer") as info:
        load_task_file(task)
    assert_located(info.value, task, 10, "fewshot.k")


def test_bad_enum_value(tmp_path):
    task = project(tmp_path, GOOD_MC.replace("kind: multiple_choice", "kind: multiple-choice"))
    with pytest.raises(TaskSpecError, match="'multiple_choice', 'generate' or 'perplexity'") as info:
        load_task_file(task)
    assert_located(info.value, task, 2, "kind")


def test_missing_required_key_points_at_its_parent(tmp_path):
    task = project(tmp_path, GOOD_MC.replace("dataset:\n  path: data.jsonl", "dataset:\n  hf: {split: test}"))
    with pytest.raises(TaskSpecError, match="missing required key 'name'") as info:
        load_task_file(task)
    assert_located(info.value, task, 4, "dataset.hf.name")


def test_multiple_choice_without_a_target(tmp_path):
    task = project(tmp_path, GOOD_MC.replace("  target: answer\n", ""))
    with pytest.raises(TaskSpecError, match="needs 'fields.target'") as info:
        load_task_file(task)
    assert_located(info.value, task, 5, "fields")


def test_target_left_out_for_a_scorer_that_needs_one(tmp_path):
    gen = GOOD_MC.replace("multiple_choice", "generate").replace("  choices: options\n", "").replace("  target: answer\n", "")
    task = project(tmp_path, gen + "scorers: [f1]\n")
    with pytest.raises(TaskSpecError, match="'fields.target' is not set") as info:
        load_task_file(task)
    assert_located(info.value, task, 9, "scorers[0]")


def test_key_given_twice(tmp_path):
    task = project(tmp_path, GOOD_MC + "fewshot:\n  k: 3\n")
    with pytest.raises(TaskSpecError, match="given twice") as info:
        load_task_file(task)
    assert_located(info.value, task, 11, "fewshot")


def test_unknown_scorer_name(tmp_path):
    task = project(tmp_path, GOOD_MC + "scorers:\n  - multiple_choice\n  - multiple_choise\n")
    with pytest.raises(TaskSpecError, match="unknown scorer 'multiple_choise'") as info:
        load_task_file(task)
    assert_located(info.value, task, 13, "scorers[1]")
    assert info.value.hint == "did you mean 'multiple_choice'?"


def test_bad_scorer_parameter(tmp_path):
    gen = GOOD_MC.replace("multiple_choice", "generate").replace("  choices: options\n", "")
    task = project(tmp_path, gen + "scorers:\n  - name: regex\n    params:\n      patern: '(\\d+)'\n")
    with pytest.raises(TaskSpecError, match="no parameter 'patern'") as info:
        load_task_file(task)
    assert_located(info.value, task, 13, "scorers[0].params.patern")
    assert info.value.hint == "did you mean 'pattern'?"


def test_scorer_of_the_wrong_kind(tmp_path):
    task = project(tmp_path, GOOD_MC + "scorers: [exact_match]\n")
    with pytest.raises(TaskSpecError, match="does not score kind multiple_choice") as info:
        load_task_file(task)
    assert_located(info.value, task, 11, "scorers[0]")


def test_two_scorers_with_one_metric_name(tmp_path):
    gen = GOOD_MC.replace("multiple_choice", "generate").replace("  choices: options\n", "")
    task = project(tmp_path, gen + "scorers: [exact_match, number]\n")
    with pytest.raises(TaskSpecError, match="both produce the metric 'exact_match'") as info:
        load_task_file(task)
    assert_located(info.value, task, 10, "scorers[1]")


def test_input_and_template_together(tmp_path):
    task = project(tmp_path, GOOD_MC + "template: '{{ question }}'\n")
    with pytest.raises(TaskSpecError, match="not both") as info:
        load_task_file(task)
    assert_located(info.value, task, 11, "template")


def test_template_syntax_error(tmp_path):
    task = project(tmp_path, GOOD_MC.replace("  input: question\n", "") + "template: '{{ question '\n")
    with pytest.raises(TaskSpecError, match="template syntax error") as info:
        load_task_file(task)
    assert_located(info.value, task, 10, "template")


def test_missing_data_file(tmp_path):
    task = project(tmp_path, GOOD_MC.replace("data.jsonl", "nope.jsonl"))
    with pytest.raises(TaskSpecError, match="data file not found") as info:
        load_task_file(task)
    assert_located(info.value, task, 4, "dataset.path")


def test_unknown_data_format(tmp_path):
    task = project(tmp_path, GOOD_MC.replace("data.jsonl", "data.txt"))
    with pytest.raises(TaskSpecError, match="cannot tell the format") as info:
        load_task_file(task)
    assert_located(info.value, task, 4, "dataset.path")


# --- the data -------------------------------------------------------------------------


def test_answer_index_out_of_range(tmp_path):
    task = project(tmp_path, rows=[ROWS[0], {"question": "q", "options": ["a", "b"], "answer": 2}])
    with pytest.raises(DataError, match="answer index 2 is out of range for 2 choices") as info:
        load_task_file(task)
    assert_located(info.value, tmp_path / "data.jsonl", 2, "answer")


def test_letter_out_of_range_and_text_not_a_choice(tmp_path):
    letters = GOOD_MC + "target_is: letter\n"
    task = project(tmp_path, letters, rows=[{"question": "q", "options": ["a", "b"], "answer": "C"}])
    with pytest.raises(DataError, match="answer letter C is out of range") as info:
        load_task_file(task)
    assert_located(info.value, tmp_path / "data.jsonl", 1, "answer")

    texts = GOOD_MC + "target_is: text\n"
    task = project(tmp_path, texts, rows=[ROWS[0] | {"answer": "4"}, {"question": "q", "options": ["a", "b"], "answer": "c"}])
    with pytest.raises(DataError, match="not one of the choices") as info:
        load_task_file(task)
    assert_located(info.value, tmp_path / "data.jsonl", 2, "answer")


def test_template_uses_a_missing_column(tmp_path):
    yaml_text = GOOD_MC.replace("  input: question\n", "") + "template: |\n  Q: {{ qestion }}\n"
    task = project(tmp_path, yaml_text)
    with pytest.raises(DataError, match="uses column 'qestion'") as info:
        load_task_file(task)
    assert_located(info.value, tmp_path / "data.jsonl", 1, "qestion")
    assert f"{task}:10" in str(info.value)  # where the template is
    assert info.value.hint == "did you mean 'question'?"


def test_column_named_in_fields_is_missing(tmp_path):
    task = project(tmp_path, rows=[ROWS[0], {"question": "q", "option": ["a", "b"], "answer": 0}])
    with pytest.raises(DataError, match="no column 'options'") as info:
        load_task_file(task)
    assert_located(info.value, tmp_path / "data.jsonl", 2, "options")
    assert info.value.hint == "did you mean 'option'?"


def test_bad_json_line(tmp_path):
    raw = json.dumps(ROWS[0]) + "\n\n" + '{"question": "q", "options": ["a", "b"] "answer": 0}\n'
    task = project(tmp_path, raw_data=raw)
    with pytest.raises(DataError, match="invalid JSON at column 41") as info:
        load_task_file(task)
    assert_located(info.value, tmp_path / "data.jsonl", 3, None)


def test_duplicate_ids(tmp_path):
    task = project(tmp_path, GOOD_MC.replace("  target: answer", "  target: answer\n  id: key"), rows=[ROWS[0] | {"key": "a"}, ROWS[1] | {"key": "a"}])
    with pytest.raises(DataError, match="repeats the row on line 1") as info:
        load_task_file(task)
    assert_located(info.value, tmp_path / "data.jsonl", 2, "key")


def test_csv_row_with_too_few_values(tmp_path):
    (tmp_path / "d.csv").write_text("q,a,b\nx,1,2\ny,1\n", encoding="utf-8")
    with pytest.raises(DataError, match="fewer values") as info:
        load_rows(tmp_path / "d.csv")
    assert_located(info.value, tmp_path / "d.csv", 3, "b")


# --- the bare JSONL multiple-choice file ------------------------------------------------


def bare(tmp_path: Path, *rows: dict) -> Path:
    path = tmp_path / "quiz.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_bare_jsonl_row_missing_answer(tmp_path):
    path = bare(tmp_path, {"question": "q", "choices": ["a", "b"], "answer": 0}, {"question": "q2", "choices": ["a", "b"]})
    with pytest.raises(DataError, match="no 'answer'") as info:
        load_jsonl_mc(path)
    assert_located(info.value, path, 2, "answer")


def test_bare_jsonl_answer_out_of_range(tmp_path):
    path = bare(tmp_path, {"question": "q", "choices": ["a", "b", "c"], "answer": 3})
    with pytest.raises(DataError, match="out of range for 3 choices") as info:
        load_jsonl_mc(path)
    assert_located(info.value, path, 1, "answer")


def test_bare_jsonl_ambiguous_letter(tmp_path):
    path = bare(tmp_path, {"question": "q", "choices": ["B", "A"], "answer": "A"})
    with pytest.raises(DataError, match="ambiguous") as info:
        load_jsonl_mc(path)
    assert_located(info.value, path, 1, "answer")


def test_bare_jsonl_choices_not_a_list(tmp_path):
    path = bare(tmp_path, {"question": "q", "choices": "a, b", "answer": 0})
    with pytest.raises(DataError, match="list of at least 2") as info:
        load_jsonl_mc(path)
    assert_located(info.value, path, 1, "choices")
