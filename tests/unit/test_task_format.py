"""A task file's prompt: a `template` is the prompt verbatim; `format:` sets PromptFormat fields."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from assay.core.format import Casing, OptionEnumerator, OptionStyle, PromptFormat
from assay.engine.prompts import plan_task
from assay.errors import TaskSpecError
from assay.tasks.spec import FormatSpec
from assay.tasks.yaml_task import load_task_file

ROWS = [
    {"q": "What is the capital of France?", "options": ["Berlin", "Paris", "Rome"], "label": 1},
    {"q": "What is the capital of Japan?", "options": ["Tokyo", "Kyoto", "Osaka"], "label": 0},
]


def task_file(tmp_path: Path, body: str, kind: str = "multiple_choice") -> Path:
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    path = tmp_path / "t.yaml"
    path.write_text(f"name: caps\nkind: {kind}\ndataset: {{path: d.jsonl}}\n" + body, encoding="utf-8")
    return path


def planned(path: Path):
    task = load_task_file(path)
    return task, plan_task(task, task.load())


def test_a_template_is_the_prompt_verbatim(tmp_path):
    path = task_file(tmp_path, 'template: "Question: {{ q }}\\nAnswer:"\nfields: {choices: options, target: label}\n')
    task, (first, _) = planned(path)
    assert first.prompt == "Question: What is the capital of France?\nAnswer:"  # not wrapped again
    assert [r.continuation for r in first.requests] == [" Berlin", " Paris", " Rome"]
    assert all(r.context == first.prompt for r in first.requests)
    assert task.format.verbatim and task.format.id == "verbatim"


def test_a_template_with_shots_and_instruction(tmp_path):
    path = task_file(tmp_path, 'template: "Q: {{ q }}\\nA:"\nfields: {choices: options, target: label}\n'
                               "fewshot: {k: 1}\ninstruction: Name the capital.\n"
                               'format: {shot_separator: "\\n###\\n"}\n')
    _, (first, second) = planned(path)
    assert first.prompt == ("Name the capital.\n###\nQ: What is the capital of Japan?\nA: Tokyo\n###\n"
                            "Q: What is the capital of France?\nA:")
    assert second.prompt.endswith("A: Paris\n###\nQ: What is the capital of Japan?\nA:")


def test_a_generate_template_without_chat_is_verbatim(tmp_path):
    path = task_file(tmp_path, 'template: "{{ q }} One word:"\nfields: {target: q}\nchat: false\n', kind="generate")
    _, (first, _) = planned(path)
    assert first.prompt == "What is the capital of France? One word:"
    assert first.requests[0].prompt == first.prompt


def test_format_keys_change_the_layout(tmp_path):
    path = task_file(tmp_path, "fields: {input: q, choices: options, target: label}\nformat:\n"
                               "  show_choices: true\n  question_label: Q\n  answer_label: A\n"
                               "  option_enumerator: (a)\n  casing: upper\n  label_separator: ' - '\n")
    task, (first, _) = planned(path)
    assert task.format == PromptFormat(show_choices=True, question_label="Q", answer_label="A",
                                       option_enumerator=OptionEnumerator.LOWER_PAREN, casing=Casing.UPPER,
                                       label_separator=" - ")
    assert first.prompt == "Q - What is the capital of France?\nCHOICES -\n(a) Berlin\n(b) Paris\n(c) Rome\nA -"
    assert [r.continuation for r in first.requests] == [" Berlin", " Paris", " Rome"]


@pytest.mark.parametrize("style", list(OptionStyle))
def test_show_choices_is_the_one_line_between_cloze_and_listed(tmp_path, style):
    flag = "true" if style is OptionStyle.LISTED else "false"
    path = task_file(tmp_path, f"fields: {{input: q, choices: options, target: label}}\nformat: {{show_choices: {flag}}}\n")
    task, (first, _) = planned(path)
    assert task.format.style is style
    listed = "Question: What is the capital of France?\nChoices:\nA. Berlin\nB. Paris\nC. Rome\nAnswer:"
    cloze = "Question: What is the capital of France?\nAnswer:"
    assert first.prompt == (listed if style is OptionStyle.LISTED else cloze)
    assert [r.continuation for r in first.requests] == [" Berlin", " Paris", " Rome"]


def test_without_format_a_task_file_uses_the_default(tmp_path):
    task, _ = planned(task_file(tmp_path, "fields: {input: q, choices: options, target: label}\n"))
    assert task.format == PromptFormat() and task.format.id == "default"


def test_verbatim_input_column(tmp_path):
    path = task_file(tmp_path, "fields: {input: q, choices: options, target: label}\nformat: {verbatim: true}\n")
    _, (first, _) = planned(path)
    assert first.prompt == "What is the capital of France?"


def test_format_spec_covers_every_prompt_format_field():
    assert list(FormatSpec.model_fields) == [f.name for f in dataclasses.fields(PromptFormat)]


def error_for(tmp_path: Path, body: str, kind: str = "multiple_choice") -> TaskSpecError:
    with pytest.raises(TaskSpecError) as caught:
        load_task_file(task_file(tmp_path, body, kind))
    return caught.value


def test_unknown_format_key_names_file_line_field_and_the_likely_key(tmp_path):
    err = error_for(tmp_path, "fields: {input: q, choices: options, target: label}\nformat:\n  show_choices: true\n"
                              "  show_choice: false\n")
    assert Path(err.file).name == "t.yaml" and err.line == 7 and err.field == "format.show_choice"
    assert "unknown key 'show_choice'" in str(err) and err.hint == "did you mean 'show_choices'?"


def test_bad_format_value_lists_the_allowed_ones(tmp_path):
    err = error_for(tmp_path, "fields: {input: q, choices: options, target: label}\nformat:\n  option_enumerator: A)\n")
    assert err.line == 6 and err.field == "format.option_enumerator"
    assert "'A.'" in str(err) and "'(a)'" in str(err)


def test_layout_keys_with_a_template_are_errors(tmp_path):
    err = error_for(tmp_path, 'template: "Q: {{ q }}\\nA:"\nfields: {choices: options, target: label}\n'
                              "format:\n  shot_separator: '\\n\\n'\n  question_label: Q\n")
    assert err.line == 8 and err.field == "format.question_label"
    assert "no effect" in str(err) and "template" in str(err)
    err = error_for(tmp_path, 'template: "Q: {{ q }}\\nA:"\nfields: {choices: options, target: label}\n'
                              "format: {verbatim: false}\n")
    assert err.field == "format.verbatim"


def test_format_on_a_chat_generate_task_is_an_error(tmp_path):
    err = error_for(tmp_path, "fields: {input: q, target: q}\nformat: {question_label: Q}\n", kind="generate")
    assert err.field == "format" and "chat" in (err.hint or "")


def test_bare_jsonl_and_built_in_suites_ask_in_the_default_cloze_style(tmp_path):
    from assay.tasks.jsonl_mc import load_jsonl_mc
    from assay.tasks.resolve import resolve_tasks

    assert PromptFormat().style is OptionStyle.CLOZE  # chosen from benchmarks/prompt_style.py
    (tmp_path / "quiz.jsonl").write_text(json.dumps({"question": "2 + 2 = ?", "choices": ["3", "4"], "answer": 1}) + "\n")
    for task in (load_jsonl_mc(tmp_path / "quiz.jsonl"), resolve_tasks(["logic-mc:n=1"])[0]):
        (p,) = plan_task(task, task.load())
        assert task.format == PromptFormat() and "Choices" not in p.prompt and p.prompt.endswith("\nAnswer:")
        assert [r.continuation for r in p.requests] == [" " + c for c in p.sample.choices]
