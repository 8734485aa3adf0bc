"""Reading a checkpoint series (issue 20): folder, glob and YAML forms, and each bad input
named precisely (no loadable checkpoint, steps that do not increase, mixed tokenizers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.analyses.series import SeriesError, is_series_spec, load_series


def _ckpt(root: Path, name: str, tokenizer: str = "tok-A", config: bool = True) -> Path:
    d = root / name
    d.mkdir(parents=True)
    if config:
        (d / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (d / "tokenizer.json").write_text(tokenizer)
    return d


def test_a_folder_of_step_checkpoints_is_a_series_in_step_order(tmp_path: Path) -> None:
    for step in (200, 50, 1000):
        _ckpt(tmp_path / "run", f"step-{step}")
    (tmp_path / "run" / "step-50" / "training_state.json").write_text(json.dumps({"step": 50, "tokens": 6400}))
    assert is_series_spec(str(tmp_path / "run"))
    s = load_series(tmp_path / "run")
    assert s.steps == [50, 200, 1000]
    assert s.checkpoints[0].tokens == 6400 and s.checkpoints[1].tokens is None
    assert s.checkpoints[0].model == f"hf:{(tmp_path / 'run' / 'step-50').resolve()}"
    assert s.id.startswith("run-") and s.shift is None
    assert load_series(tmp_path / "run").id == s.id  # stable: a grown series keeps its id


def test_a_glob_and_hf_trainer_names(tmp_path: Path) -> None:
    for step in (10, 20):
        _ckpt(tmp_path / "out", f"checkpoint-{step}")
    s = load_series(str(tmp_path / "out" / "checkpoint-*"), shift=15)
    assert s.steps == [10, 20] and s.shift == 15


def test_a_yaml_series_with_tokens_and_shift(tmp_path: Path) -> None:
    _ckpt(tmp_path, "a")
    _ckpt(tmp_path, "b")
    spec = tmp_path / "pretrain.yaml"
    spec.write_text("name: pre\nshift: 150\ncheckpoints:\n  - {path: a, step: 100, tokens: 1000}\n"
                    "  - {path: b, step: 200, tokens: 2000}\n")
    s = load_series(spec)
    assert (s.name, s.shift, s.steps) == ("pre", 150, [100, 200])
    assert [c.tokens for c in s.checkpoints] == [1000.0, 2000.0]


def test_a_folder_with_no_loadable_checkpoint_names_the_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(SeriesError, match="no checkpoint in"):
        load_series(tmp_path / "empty")
    _ckpt(tmp_path / "broken", "step-1", config=False)
    with pytest.raises(SeriesError, match="no loadable checkpoint.*step-1"):
        load_series(tmp_path / "broken")


def test_one_checkpoint_without_weights_is_named(tmp_path: Path) -> None:
    _ckpt(tmp_path / "run", "step-1")
    _ckpt(tmp_path / "run", "step-2", config=False)
    with pytest.raises(SeriesError, match=r"checkpoint 'step-2' \(step 2\).*no config.json"):
        load_series(tmp_path / "run")


def test_steps_that_do_not_increase_name_the_checkpoint_file_and_line(tmp_path: Path) -> None:
    _ckpt(tmp_path, "a")
    _ckpt(tmp_path, "b")
    spec = tmp_path / "s.yaml"
    spec.write_text("checkpoints:\n  - {path: a, step: 200}\n  - {path: b, step: 100}\n")
    with pytest.raises(SeriesError, match=r"checkpoint 'b' has step 100, not above the previous checkpoint 'a'") as err:
        load_series(spec)
    assert err.value.file == str(spec) and err.value.field == "step"
    spec.write_text("checkpoints:\n  - {path: a, step: 200}\n  - {path: b}\n")
    with pytest.raises(SeriesError, match="checkpoint 2 needs an integer 'step'") as err:
        load_series(spec)
    assert err.value.line == 3


def test_mixed_tokenizers_name_both_checkpoints(tmp_path: Path) -> None:
    _ckpt(tmp_path / "run", "step-1", tokenizer="A")
    _ckpt(tmp_path / "run", "step-2", tokenizer="A")
    _ckpt(tmp_path / "run", "step-3", tokenizer="B")
    with pytest.raises(SeriesError, match=r"'step-3' \(step 3\) has a different tokenizer from 'step-1'"):
        load_series(tmp_path / "run")


def test_not_a_series(tmp_path: Path) -> None:
    assert not is_series_spec("smollm2") and not is_series_spec("hf:/x/step-*")
    with pytest.raises(SeriesError, match="matches no checkpoint"):
        load_series(str(tmp_path / "none-*"))
