"""Every unsupported feature or broken lm-eval task file fails while tasks are resolved
(before any model loads) with one error naming the file, the line and the key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assay.errors import ConfigError, TaskSpecError
from assay.tasks.resolve import resolve_task

DATA = Path(__file__).resolve().parents[2] / "data" / "lm_eval"

BASE = """task: t
dataset_path: json
dataset_kwargs:
  data_files:
    test: data/arc_test.jsonl
    train: data/arc_train.jsonl
test_split: test
output_type: multiple_choice
doc_to_text: "Question: {{question}}\\nAnswer:"
doc_to_target: "{{choices.label.index(answerKey)}}"
doc_to_choice: "{{choices.text}}"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(DATA / "data", tmp_path / "data")
    return tmp_path


def _fail(folder: Path, text: str, name: str = "task.yaml") -> ConfigError:
    path = folder / name
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        resolve_task(str(path))
    return info.value


def _line_of(text: str, key: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.lstrip().startswith(key))


def _replace(key: str, line: str) -> str:
    return "\n".join(line if l.startswith(key + ":") else l for l in BASE.splitlines()) + "\n"


def test_the_base_file_is_fine(folder: Path) -> None:
    path = folder / "ok.yaml"
    path.write_text(BASE)
    (task,) = resolve_task(str(path))
    assert len(task.load()) == 4


@pytest.mark.parametrize("key", ["doc_to_text", "doc_to_target", "doc_to_choice"])
def test_function_tags_are_refused_at_their_line(folder: Path, key: str) -> None:
    text = _replace(key, f"{key}: !function utils.{key}")
    err = _fail(folder, text)
    assert isinstance(err, TaskSpecError)
    assert err.file == str(folder / "task.yaml") and err.line == _line_of(text, key) and err.field == key
    assert "!function" in err.message and "Jinja" in (err.hint or "")


@pytest.mark.parametrize("key, expect", [
    ("process_docs", "JSON"),
    ("process_results", "metric_list"),
    ("use_prompt", "doc_to_text"),
    ("gen_prefix", "doc_to_text"),
])
def test_python_hooks_and_unsupported_keys_say_what_to_do(folder: Path, key: str, expect: str) -> None:
    text = BASE + f"{key}: something\n"
    err = _fail(folder, text)
    assert err.line == _line_of(text, key) and err.field == key
    assert "not supported" in err.message and expect in (err.hint or "")


def test_unknown_key_suggests_the_likely_one(folder: Path) -> None:
    text = BASE + "num_fewshots: 3\n"
    err = _fail(folder, text)
    assert err.line == _line_of(text, "num_fewshots") and err.field == "num_fewshots"
    assert "did you mean 'num_fewshot'" in (err.hint or "")


def test_missing_split_names_the_key_and_the_splits(folder: Path) -> None:
    text = _replace("test_split", "test_split: validation")
    err = _fail(folder, text)
    assert err.line == _line_of(text, "test_split") and err.field == "test_split"
    assert "'validation'" in err.message and "test, train" in err.message


def test_fewshot_split_missing(folder: Path) -> None:
    text = BASE + "fewshot_split: dev\nnum_fewshot: 1\n"
    err = _fail(folder, text)
    assert err.line == _line_of(text, "fewshot_split") and "'dev'" in err.message


def test_jinja_syntax_error(folder: Path) -> None:
    text = _replace("doc_to_text", 'doc_to_text: "Question: {{question}\\nAnswer:"')
    err = _fail(folder, text)
    assert err.line == _line_of(text, "doc_to_text") and err.field == "doc_to_text"
    assert "Jinja syntax error" in err.message


def test_jinja_undefined_names_the_doc(folder: Path) -> None:
    text = _replace("doc_to_text", 'doc_to_text: "Question: {{questoin}}\\nAnswer:"')
    err = _fail(folder, text)
    assert err.line == _line_of(text, "doc_to_text") and err.field == "doc_to_text"
    assert "test doc 0" in err.message and "questoin" in err.message


def test_description_template_error(folder: Path) -> None:
    text = BASE + 'description: "About {{topic}}\\n\\n"\n'
    err = _fail(folder, text)
    assert err.field == "description" and err.line == _line_of(text, "description") and "topic" in err.message


def test_target_out_of_range(folder: Path) -> None:
    text = _replace("doc_to_target", "doc_to_target: 5")
    err = _fail(folder, text)
    assert err.line == _line_of(text, "doc_to_target") and err.field == "doc_to_target"
    assert "out of range for 4 choices" in err.message and "test doc 0" in err.message


def test_choice_column_that_is_not_a_list(folder: Path) -> None:
    text = _replace("doc_to_choice", "doc_to_choice: choices")  # ARC's choices column is a mapping
    err = _fail(folder, text)
    assert err.field == "doc_to_choice" and err.line == _line_of(text, "doc_to_choice")
    assert "list of texts" in err.message


def test_target_not_a_choice(folder: Path) -> None:
    text = _replace("doc_to_target", 'doc_to_target: "{{answerKey}}"')  # a letter, but the choices are texts
    err = _fail(folder, text)
    assert err.field == "doc_to_target" and "is not one of the choices" in err.message


def test_data_file_missing(folder: Path) -> None:
    text = BASE.replace("data/arc_test.jsonl", "data/nowhere.jsonl")
    err = _fail(folder, text)
    assert err.field == "dataset_kwargs.data_files" and err.line == _line_of(text, "dataset_kwargs")
    assert "nowhere.jsonl" in err.message


def test_hub_data_missing_offline(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = pytest.importorskip("datasets")

    def offline(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise ConnectionError("Couldn't reach the Hugging Face Hub")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    text = BASE.replace("dataset_path: json", "dataset_path: allenai/ai2_arc\ndataset_name: ARC-Easy")
    text = "\n".join(l for l in text.splitlines() if "data_files" not in l and "data/arc" not in l and "dataset_kwargs" not in l) + "\n"
    err = _fail(folder, text)
    assert err.field == "dataset_path" and err.line == _line_of(text, "dataset_path")
    assert "allenai/ai2_arc/ARC-Easy" in err.message and "JSONL" in (err.hint or "")


def test_hub_dataset_loads_through_datasets(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = pytest.importorskip("datasets")
    rows = [json.loads(line) for line in (folder / "data" / "arc_test.jsonl").read_text().splitlines()]
    asked = []

    def load(path, name=None, **kwargs):  # noqa: ANN001, ANN003, ANN202
        asked.append((path, name, kwargs))
        return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})

    monkeypatch.setattr(datasets, "load_dataset", load)
    text = BASE.replace("dataset_path: json", "dataset_path: allenai/ai2_arc\ndataset_name: ARC-Easy")
    text = text.replace("dataset_kwargs:\n  data_files:\n    test: data/arc_test.jsonl\n    train: data/arc_train.jsonl\n",
                        "dataset_kwargs:\n  revision: main\n  trust_remote_code: true\n")
    path = folder / "hub.yaml"
    path.write_text(text)
    (task,) = resolve_task(str(path))
    assert asked == [("allenai/ai2_arc", "ARC-Easy", {"revision": "main"})]
    assert task.load()[0].input == "Question: Which of these is a renewable resource?\nAnswer:"
    assert task.load()[0].metadata["doc"]["answerKey"] == "C"


def test_rolling_needs_text_targets(folder: Path) -> None:
    text = (DATA / "wikitext_rolling.yaml").read_text().replace('doc_to_target: "{{text}}"', "doc_to_target: 0")
    err = _fail(folder, text)
    assert err.field == "doc_to_target" and err.line == _line_of(text, "doc_to_target") and "text" in err.message


def test_aggregation_other_than_lm_evals_default(folder: Path) -> None:
    text = (DATA / "lambada_ll.yaml").read_text().replace("aggregation: perplexity", "aggregation: median")
    err = _fail(folder, text)
    assert err.field == "metric_list[1].aggregation" and "median" in err.message


def test_unknown_metric_and_filter(folder: Path) -> None:
    text = BASE + "metric_list:\n  - metric: acc_mutual_info\n"
    err = _fail(folder, text)
    assert err.field == "metric_list[0].metric" and err.line == _line_of(text, "metric_list")
    gen = (DATA / "gsm_regex.yaml").read_text().replace('function: "take_first"', 'function: "take_last"', 1)
    err = _fail(folder, gen)
    assert err.field == "filter_list[0].filter" and "take_last" in err.message


def test_missing_include(folder: Path) -> None:
    text = "include: _nowhere.yaml\ntask: t2\n"
    err = _fail(folder, text)
    assert err.line == 1 and err.field == "include" and "_nowhere.yaml" in err.message


def test_group_member_missing(folder: Path) -> None:
    (folder / "member.yaml").write_text(BASE)
    text = "group: g\ntask:\n  - t\n  - not_a_task\n"
    err = _fail(folder, text, name="group.yaml")
    assert err.line == 2 and err.field == "task" and "not_a_task" in err.message


def test_errors_come_before_any_model(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """evaluate() resolves tasks first: a bad file never loads the model."""
    from assay import evaluate

    loaded = []
    monkeypatch.setattr("assay.models.load_model", lambda *a, **k: loaded.append(a))
    path = folder / "bad.yaml"
    path.write_text(_replace("doc_to_target", "doc_to_target: 9"))
    with pytest.raises(ConfigError):
        evaluate("smollm2", [str(path)], cache=None, store=False)
    assert loaded == []

