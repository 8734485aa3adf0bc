"""YAML task files over JSONL, CSV and Parquet; templates; few-shot; bare JSONL multiple choice."""

from __future__ import annotations

import json
import math
import shutil
import sys
from pathlib import Path

import pytest

from assay.core import FewShot, Sample, TaskKind
from assay.errors import ConfigError, MissingDependencyError
from assay.scoring import MultipleChoiceScorer, NumberMatch, RegexMatch, TokenF1
from assay.tasks.jsonl_mc import load_jsonl_mc
from assay.tasks.loaders import load_hf_rows, load_rows
from assay.tasks.spec import parse_task_spec
from assay.tasks.yaml_task import load_task_file

DATA = Path(__file__).resolve().parents[1] / "data" / "task_files"

CAPITALS = [
    ("What is the capital of France?", ("Berlin", "Paris", "Rome"), 1),
    ("What is the capital of Japan?", ("Tokyo", "Kyoto", "Osaka"), 0),
    ("What is the capital of Peru?", ("Quito", "Bogota", "Lima"), 2),
]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_over_jsonl():
    task = load_task_file(DATA / "capitals.yaml")
    assert (task.name, task.version, task.kind) == ("capitals", "2", TaskKind.MULTIPLE_CHOICE)
    assert task.description == "Capital cities, three options each."
    assert task.instruction == "Pick the capital."
    assert task.fewshot == FewShot(k=1, seed=7) and task.fewshot_pool is None
    assert [type(s) for s in task.scorers] == [MultipleChoiceScorer]  # the multiple-choice default
    samples = task.load()
    assert [(s.input, s.choices, s.target) for s in samples] == CAPITALS
    assert [s.id for s in samples] == ["capitals-0", "capitals-1", "capitals-2"]  # blank line skipped
    assert all(s.metadata == {"subject": "geography"} for s in samples)
    assert task.load() is samples  # loaded once
    assert task.source["file"].endswith("capitals.yaml") and len(task.source["sha256"]) == 64
    assert task.source["data"].endswith("capitals.jsonl") and len(task.source["data_sha256"]) == 64


def test_yaml_over_csv_with_choice_columns_letters_and_ids():
    samples = load_task_file(DATA / "capitals_csv.yaml").load()
    assert [s.id for s in samples] == ["c1", "c2", "c3"]
    assert [s.target for s in samples] == [1, 0, 2]
    assert samples[1].input == "What is the capital\nof Japan?"  # a quoted value spanning lines
    assert samples[1].choices == ("Tokyo", "Kyoto", "Osaka")
    assert [s.metadata for s in samples] == [{"difficulty": "easy"}, {"difficulty": "easy"}, {"difficulty": "hard"}]


def test_yaml_over_parquet(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "question": [q for q, _, _ in CAPITALS],
            "options": [list(c) for _, c, _ in CAPITALS],
            "right": [c[t] for _, c, t in CAPITALS],
            "weight": [1.0, 2.0, 0.5],
        }
    )
    frame.to_parquet(tmp_path / "capitals.parquet")
    write(
        tmp_path / "task.yaml",
        "name: pq\nkind: multiple_choice\ndataset: {path: capitals.parquet}\n"
        "fields: {input: question, choices: options, target: right}\ntarget_is: text\n",
    )
    samples = load_task_file(tmp_path / "task.yaml").load()
    assert [(s.input, s.choices, s.target) for s in samples] == CAPITALS
    assert [s.metadata["weight"] for s in samples] == [1.0, 2.0, 0.5]
    assert load_rows(tmp_path / "capitals.parquet")[0][0] == 1  # rows numbered from 1


def test_generate_task_with_template_fewshot_file_and_scorers():
    task = load_task_file(DATA / "arithmetic.yaml")
    assert task.kind is TaskKind.GENERATE and task.chat is False
    samples = task.load()
    assert [(s.input, s.target) for s in samples] == [("What is 2 plus 3?", "5"), ("What is 10 plus 32?", "42")]
    # columns the template used are not repeated in metadata; unused scalars are kept
    assert samples[0].metadata == {"aliases": None}
    assert [type(s) for s in task.scorers] == [NumberMatch, TokenF1]
    assert task.scorers[0].rel_tol == 0.001
    assert task.metric_names == ("exact_match", "f1")
    assert task.fewshot == FewShot(k=2, seed=3)
    assert task.fewshot_pool is not None
    pool = task.fewshot_pool()
    assert [(s.id, s.input, s.target) for s in pool] == [
        ("arithmetic-fewshot-0", "What is 1 plus 1?", "2"),
        ("arithmetic-fewshot-1", "What is 4 plus 4?", "8"),
    ]
    assert task.generation.max_tokens == 16 and task.generation.stop == ("\n",) and task.generation.greedy


def test_template_sees_the_row_and_loops(tmp_path):
    write(
        tmp_path / "d.jsonl",
        json.dumps({"passage": "Sky.", "q": "Colour?", "opts": ["red", "blue"], "a": 1, "my col": "x"}) + "\n",
    )
    write(
        tmp_path / "t.yaml",
        "name: tpl\nkind: multiple_choice\ndataset: {path: d.jsonl}\n"
        "template: |\n  {{ passage }}\n  {{ q }} ({{ row['my col'] }})\n  {% for o in opts %}- {{ o }}\n  {% endfor %}\n"
        "fields: {choices: opts, target: a}\n",
    )
    (sample,) = load_task_file(tmp_path / "t.yaml").load()
    assert sample.input == "Sky.\nColour? (x)\n- red\n- blue"
    assert sample.choices == ("red", "blue") and sample.target == 1
    assert sample.metadata == {"my col": "x"}  # reached through `row`, so not known as used


def test_generate_targets_keep_lists_and_numbers(tmp_path):
    rows = [{"q": "a", "t": ["NYC", "New York"]}, {"q": "b", "t": 7}, {"q": "c", "t": "x"}]
    write(tmp_path / "d.jsonl", "\n".join(json.dumps(r) for r in rows))
    write(tmp_path / "t.yaml", "name: g\nkind: generate\ndataset: {path: d.jsonl}\nfields: {input: q, target: t}\n")
    task = load_task_file(tmp_path / "t.yaml")
    assert [s.target for s in task.load()] == [("NYC", "New York"), 7, "x"]
    assert [s.name for s in task.scorers] == ["exact_match"]  # the generate default


def test_regex_scorer_from_yaml(tmp_path):
    write(tmp_path / "d.jsonl", json.dumps({"q": "x", "a": "B"}))
    write(
        tmp_path / "t.yaml",
        "name: r\nkind: generate\ndataset: {path: d.jsonl}\nfields: {input: q, target: a}\n"
        "scorers:\n  - name: regex\n    params: {pattern: 'answer is \\(?([A-D])', group: 1}\n",
    )
    (scorer,) = load_task_file(tmp_path / "t.yaml").scorers
    assert isinstance(scorer, RegexMatch) and scorer.pattern == r"answer is \(?([A-D])"


def test_instruction_checks_need_no_target(tmp_path):
    row = {"prompt": "Write a haiku.", "checks": [{"type": "max_words", "n": 20}], "source": {"set": "demo"}}
    write(tmp_path / "d.jsonl", json.dumps(row))
    write(
        tmp_path / "t.yaml",
        "name: ifeval-mini\nkind: generate\ndataset: {path: d.jsonl}\nfields: {input: prompt}\nscorers: [instructions]\n",
    )
    task = load_task_file(tmp_path / "t.yaml")
    (sample,) = task.load()
    assert sample.target == ""
    # lists and mappings of JSON values travel in metadata, where the checks scorer reads them
    assert sample.metadata == {"checks": [{"type": "max_words", "n": 20}], "source": {"set": "demo"}}
    assert [s.name for s in task.scorers] == ["instructions"]


def test_json_array_and_csv_json_list_cell(tmp_path):
    write(tmp_path / "d.json", json.dumps([{"q": "x?", "c": ["1", "2"], "a": 0}]))
    write(tmp_path / "d.csv", 'q,c,a\nx?,"[""1"", ""2""]",1\n')
    for name in ("d.json", "d.csv"):
        write(tmp_path / "t.yaml", f"name: j\nkind: multiple_choice\ndataset: {{path: {name}}}\nfields: {{input: q, choices: c, target: a}}\n")
        (sample,) = load_task_file(tmp_path / "t.yaml").load()
        assert sample.choices == ("1", "2")


def test_version_and_scorer_forms_parse():
    loaded = parse_task_spec(
        "name: n\nversion: 1.1\nkind: generate\ndataset: {path: x.jsonl}\nfields: {input: q, target: a}\n"
        "scorers: [f1, {name: exact_match, params: {normalize: false}}]\n",
        "n.yaml",
    )
    assert loaded.spec.version == "1.1"
    assert [(s.name, s.params) for s in loaded.spec.scorers] == [("f1", {}), ("exact_match", {"normalize": False})]
    assert loaded.lines.line_of(("scorers", 1)) == 6


def test_bare_jsonl_multiple_choice():
    task = load_jsonl_mc(DATA / "bare_mc.jsonl")
    assert task.name == "bare_mc" and task.kind is TaskKind.MULTIPLE_CHOICE
    assert [type(s) for s in task.scorers] == [MultipleChoiceScorer]
    assert task.load() == (
        Sample("bare_mc-0", "2 + 2 = ?", 1, ("3", "4", "5"), {}),
        Sample("planet", "Largest planet?", 1, ("Mars", "Jupiter", "Venus"), {"topic": "space"}),
        Sample("bare_mc-2", "Colour of the sky?", 1, ("green", "blue"), {"tags": ["easy"]}),
    )
    assert task.source["format"] == "jsonl-mc"


def test_bare_jsonl_name_override(tmp_path):
    shutil.copy(DATA / "bare_mc.jsonl", tmp_path / "my quiz.jsonl")
    assert load_jsonl_mc(tmp_path / "my quiz.jsonl").name == "my-quiz"
    assert load_jsonl_mc(tmp_path / "my quiz.jsonl", name="quiz").load()[0].id == "quiz-0"


def test_yaml_tasks_plan_through_the_engine():
    # The engine's formatter accepts what the loader builds (prompts and request counts).
    from assay.engine.prompts import plan_task

    task = load_task_file(DATA / "capitals.yaml")
    planned = plan_task(task, task.load())
    assert len(planned) == 3 and all(len(p.requests) == 3 for p in planned)
    assert planned[0].prompt.startswith("Pick the capital.")
    gen = load_task_file(DATA / "arithmetic.yaml")
    planned = plan_task(gen, gen.load())
    assert "What is 1 plus 1?" in planned[0].prompt or "What is 4 plus 4?" in planned[0].prompt


def test_hf_rows_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", None)
    with pytest.raises(MissingDependencyError, match="datasets"):
        load_hf_rows("org/data")


def test_hf_rows_without_network_says_so(monkeypatch, tmp_path):
    datasets = pytest.importorskip("datasets")

    def offline(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'org/data' on the Hub")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(ConfigError, match="cannot download") as info:
        load_hf_rows("org/data", None, "test")
    assert "network" in str(info.value) and "local copy" in str(info.value)

    write(tmp_path / "t.yaml", "name: h\nkind: generate\ndataset:\n  hf: {name: org/data}\nfields: {input: q, target: a}\n")
    task = load_task_file(tmp_path / "t.yaml")  # Hub data is fetched lazily
    with pytest.raises(ConfigError) as info:
        task.load()
    assert (info.value.line, info.value.field) == (4, "dataset.hf")


def test_hf_rows_are_numbered(monkeypatch):
    datasets = pytest.importorskip("datasets")
    rows = datasets.Dataset.from_list([{"q": "a", "t": "1"}, {"q": "b", "t": "2"}])
    seen = {}

    def fake(name, config, split):
        seen.update(name=name, config=config, split=split)
        return rows

    monkeypatch.setattr(datasets, "load_dataset", fake)
    assert load_hf_rows("org/data", "main", "validation") == [(1, {"q": "a", "t": "1"}), (2, {"q": "b", "t": "2"})]
    assert seen == {"name": "org/data", "config": "main", "split": "validation"}


def test_nan_free_metadata_from_csv(tmp_path):
    # CSV values are text as written: an empty cell is "", never NaN.
    write(tmp_path / "d.csv", "q,a,note\nx?,y,\n")
    write(tmp_path / "t.yaml", "name: c\nkind: generate\ndataset: {path: d.csv}\nfields: {input: q, target: a}\n")
    (sample,) = load_task_file(tmp_path / "t.yaml").load()
    assert sample.metadata == {"note": ""}
    assert not any(isinstance(v, float) and math.isnan(v) for v in sample.metadata.values())
