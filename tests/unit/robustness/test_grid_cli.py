"""`assay robustness grid`: its arguments, the instructions file, the one-model-at-a-time
runner (with the instant engine-test adapter) and the tables. The real-model run is an
example in docs/robustness.md, not a test."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from rich.table import Table

import assay.models
from assay.analyses.robustness import instruction_grid
from assay.analyses.robustness.runner import (
    MC_INSTRUCTIONS, instruction_scores, run_instruction_grid, run_instruction_grid_loading,
)
from assay.analyses.robustness.instructions_file import load_instructions as _instructions_file
from assay.cli import build_parser, main
from assay.engine.cache import ResponseCache
from assay.errors import ConfigError
from assay.report.robustness import grid_tables
from assay.tasks.builtin import make_builtin
from assay.testing import InstantModel


def body_rows(table: Table) -> list[list[str]]:
    """The table's body cells as rendered text (wide enough that nothing wraps)."""
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(table)
    lines = console.export_text().splitlines()
    return [[c.strip() for c in line.split("│")[1:-1]] for line in lines if line.startswith("│")]


class ClosingInstant(InstantModel):
    def close(self) -> None:
        self.closed = True


def test_grid_arguments() -> None:
    args = build_parser().parse_args(["robustness", "grid", "arith-mc", "logic-mc", "--models", "smollm2",
                                      "gemma3-270m", "--instructions", "v.yaml", "--top-k", "2", "--limit", "8"])
    assert args.analysis == "grid" and args.func.__name__ == "cmd_robustness"
    assert args.tasks == ["arith-mc", "logic-mc"] and args.models == ["smollm2", "gemma3-270m"]
    assert (args.instructions, args.top_k, args.limit) == ("v.yaml", 2, 8)
    default = build_parser().parse_args(["robustness", "grid", "arith-mc", "--models", "smollm2"])
    assert default.instructions is None and default.top_k == 1


def test_other_analyses_keep_model_task_and_their_options() -> None:
    args = build_parser().parse_args(["robustness", "bandit", "smollm2", "arith-mc", "--formats", "6",
                                      "--budget", "40"])
    assert (args.model, args.task, args.formats, args.budget, args.limit) == ("smollm2", "arith-mc", 6, 40, None)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["robustness", "grid", "arith-mc"])  # --models is required


def test_grid_loads_each_model_once_and_closes_it() -> None:
    tasks = [make_builtin("arith-mc", 6, 0), make_builtin("logic-mc", 5, 0)]
    loaded: list[ClosingInstant] = []

    def load(spec: str) -> ClosingInstant:
        assert all(getattr(m, "closed", False) for m in loaded), "the previous model must be closed first"
        loaded.append(ClosingInstant(name=spec))
        return loaded[-1]

    cache = ResponseCache(None)
    scores, grid = run_instruction_grid_loading(["m1", "m2"], load, tasks, MC_INSTRUCTIONS, cache, top_k=2)
    assert [m.name for m in loaded] == ["m1", "m2"] and all(m.closed for m in loaded)
    assert scores.shape == (2, 2, len(MC_INSTRUCTIONS))
    assert grid.models == ("m1", "m2") and grid.instructions == tuple(MC_INSTRUCTIONS)
    assert grid.datasets == ("arith-mc", "logic-mc") and grid.top_k == 2
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = instruction_grid(scores, ["m1", "m2"], list(MC_INSTRUCTIONS), ["arith-mc", "logic-mc"], 2)
    np.testing.assert_equal(grid.to_dict(), expected.to_dict())  # NaN == NaN: MRG of an all-zero column
    same = run_instruction_grid({"m1": InstantModel(name="m1"), "m2": InstantModel(name="m2")}, tasks,
                                MC_INSTRUCTIONS, cache, top_k=2)
    np.testing.assert_equal(same.to_dict(), grid.to_dict())


def test_each_instruction_leads_its_prompts() -> None:
    model = InstantModel()
    texts = {"a": "Pick one.", "b": "Choose the right option."}
    scores = instruction_scores(model, [make_builtin("arith-mc", 3, 0)], texts, ResponseCache(None))
    assert scores.shape == (1, 2) and np.all((0 <= scores) & (scores <= 1))
    contexts = {r.context.split("\n")[0] for r in model.calls}
    assert contexts == {"Pick one.", "Choose the right option."}


def test_instructions_file_yaml_and_json(tmp_path: Path) -> None:
    yml = tmp_path / "v.yaml"
    yml.write_text('terse: "Pick one."\npolite: "Please choose the correct option."\nnone: ""\n')
    assert _instructions_file(str(yml)) == {"terse": "Pick one.", "polite": "Please choose the correct option.",
                                            "none": ""}
    js = tmp_path / "v.json"
    js.write_text('{"a": "Pick one.", "b": "Choose."}')
    assert _instructions_file(str(js)) == {"a": "Pick one.", "b": "Choose."}


@pytest.mark.parametrize("name, text, where", [
    ("v.yaml", "terse: Pick one.\npolite: [not, text]\n", "field 'polite'"),
    ("v.yaml", "- Pick one.\n- Choose.\n", "v.yaml: expected a mapping"),
    ("v.yaml", "only: Pick one.\n", "at least two"),
    ("v.yaml", 'a: "Pick one.\nb: x\n', "v.yaml:"),
    ("v.json", '{"a": "Pick one.",\n "b": }', "v.json:2"),
])
def test_bad_instructions_file_names_file_and_field(tmp_path: Path, name: str, text: str, where: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        _instructions_file(str(path))
    assert str(path) in str(err.value) and where in str(err.value)


def test_missing_instructions_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.yaml.*--instructions"):
        _instructions_file(str(tmp_path / "nope.yaml"))


def no_model(*args: object, **kwargs: object) -> None:
    raise AssertionError("a bad command must fail before loading a model")


@pytest.mark.parametrize("extra, message", [
    (["--instructions", "{bad}"], "field 'polite'"),
    (["--models", "m1", "m1"], "field '--models'"),
    (["--top-k", "5"], "field '--top-k'"),
])
def test_grid_command_rejects_bad_input_before_any_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str], extra: list[str],
                                                          message: str) -> None:
    bad = tmp_path / "v.yaml"
    bad.write_text("terse: Pick one.\npolite: 3\n")
    monkeypatch.setattr(assay.models, "resolve_spec", no_model)
    monkeypatch.setattr(assay.models, "load_model", no_model)
    argv = ["robustness", "grid", "arith-mc", "--models", "m1", "m2", "--cache", str(tmp_path / "c.sqlite")]
    assert main(argv + [str(bad) if e == "{bad}" else e for e in extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_default_instructions_refuse_generative_tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(assay.models, "load_model", no_model)
    assert main(["robustness", "grid", "arith-gen", "--models", "m1", "--cache", str(tmp_path / "c.sqlite")]) == 2
    err = capsys.readouterr().err
    assert "arith-gen" in err and "--instructions FILE" in err


def test_grid_command_prints_the_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    loaded: list[ClosingInstant] = []

    def load(spec: str, options: object = None, progress: object = None) -> ClosingInstant:
        loaded.append(ClosingInstant(name=spec))
        return loaded[-1]

    monkeypatch.setattr(assay.models, "resolve_spec", lambda spec, progress=None: f"instant:{spec}")
    monkeypatch.setattr(assay.models, "load_model", load)
    code = main(["robustness", "grid", "arith-mc:n=4", "--models", "m1", "m2", "--quiet",
                 "--cache", str(tmp_path / "c.sqlite")])
    assert code == 0
    assert [m.name for m in loaded] == ["instant:m1", "instant:m2"] and all(m.closed for m in loaded)
    printed = capsys.readouterr().out
    for title in ("Score per instruction", "Models over 4 instructions", "Instructions over 2 models"):
        assert title in printed
    assert MC_INSTRUCTIONS["choose"] in printed
    assert "arith-mc (n=4)" in printed  # each score's sample size


def test_grid_tables_values() -> None:
    # the by-hand grid of test_metrics: 2 models x 2 instructions, one dataset
    x = np.array([[[0.4, 0.6], [0.2, 0.2]]])
    g = instruction_grid(x, ["m1", "m2"], ["i1", "i2"], ["t"], top_k=1)
    scores, models, instructions = grid_tables(g, x, {"i1": "Pick one.", "i2": "Choose."})
    assert body_rows(scores) == [["t", "m1", "40.0", "60.0", "60.0"], ["", "m2", "20.0", "20.0", "20.0"]]
    assert body_rows(models) == [["m1", "60.0", "+41.7", "10.0", "0.0", "100.0"],
                                 ["m2", "20.0", "-41.7", "0.0", "100.0", "0.0"]]
    assert body_rows(instructions) == [["i1", "-10.0", "10.0", "50.0", "Pick one."],
                                       ["i2", "+10.0", "20.0", "50.0", "Choose."]]
    assert len(grid_tables(g)) == 2  # without raw scores: the models' and instructions' tables only
    sized = grid_tables(g, x, sizes={"t": 40})[0]
    assert body_rows(sized)[0][0] == "t (n=40)"
