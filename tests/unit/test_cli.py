"""The `assay` command's handling of bad input: one clear message, exit status 2, no traceback.

Runs the real CLI in a subprocess; none of these cases loads a model (tasks and specs are
validated before the model load).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def assay(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assay", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_unknown_model_lists_the_known_ones() -> None:
    done = assay("run", "smolm2", "arith-mc", "--limit", "1", "--no-cache")
    assert done.returncode == 2
    assert "unknown model 'smolm2'" in done.stderr and "smollm2" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_task() -> None:
    done = assay("run", "smollm2", "arith-mcq")
    assert done.returncode == 2 and "unknown task 'arith-mcq'" in done.stderr and "arith-mc" in done.stderr


def test_bad_suite_option() -> None:
    done = assay("run", "smollm2", "arith-mc:n=ten")
    assert done.returncode == 2 and "arith-mc:n" in done.stderr


def test_yaml_typo_names_file_line_and_field(tmp_path: Path) -> None:
    src = (ROOT / "tests/data/task_files/capitals.yaml").read_text()
    (tmp_path / "capitals.jsonl").write_text((ROOT / "tests/data/task_files/capitals.jsonl").read_text())
    bad = tmp_path / "bad.yaml"
    bad.write_text(src.replace("fewshot:", "fewshots:"))
    done = assay("run", "smollm2", str(bad))
    assert done.returncode == 2
    line = next(i for i, text in enumerate(bad.read_text().splitlines(), 1) if text.startswith("fewshots"))
    assert f"bad.yaml:{line}" in done.stderr and "fewshots" in done.stderr and "fewshot" in done.stderr


def test_jsonl_row_missing_answer(tmp_path: Path) -> None:
    data = tmp_path / "q.jsonl"
    data.write_text('{"question": "2+2?", "choices": ["3", "4"], "answer": 1}\n{"question": "1+1?", "choices": ["2"]}\n')
    done = assay("run", "smollm2", str(data))
    assert done.returncode == 2 and "q.jsonl:2" in done.stderr and "answer" in done.stderr


def test_missing_task_file() -> None:
    done = assay("run", "smollm2", "nope/missing.yaml")
    assert done.returncode == 2 and "missing.yaml" in done.stderr and "not found" in done.stderr


@pytest.mark.parametrize("args", [["--batch-size", "huge"], ["--limit", "0"]])
def test_bad_flags(args: list[str]) -> None:
    done = assay("run", "smollm2", "arith-mc", *args)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_listing_commands() -> None:
    tasks = assay("tasks")
    assert tasks.returncode == 0 and "arith-mc" in tasks.stdout and "quick" in tasks.stdout
    models = assay("models")
    assert models.returncode == 0 and "smollm2" in models.stdout and "gguf" in models.stdout


def test_one_module_per_command_group() -> None:
    """Each subcommand's handler lives in its group's module under assay/cli/."""
    from assay.cli import build_parser

    groups = {"run": "run", "robustness": "robustness", "compare": "compare", "power": "compare",
              "variance": "compare", "runs": "store", "import": "store", "report": "store", "serve": "store",
              "tasks": "catalog", "models": "catalog", "arena": "arena", "judge": "arena",
              "efficiency": "efficiency", "scale": "efficiency", "integrity": "integrity",
              "irt": "irt", "envs": "envs", "diagnose": "diagnose", "sandbox": "sandbox",
              "verify": "verify", "series": "series"}
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(subparsers.choices) == set(groups)
    for command, module in groups.items():
        parser = subparsers.choices[command]
        func = parser.get_default("func")
        if func is None:  # robustness, arena, judge: the handler sits on each subcommand's parser
            analyses = next(a for a in parser._actions
                            if a.dest in ("analysis", "arena_command", "judge_command", "check", "irt_command",
                                          "envs_command", "sandbox_command", "series_command"))
            func = next(iter(analyses.choices.values())).get_default("func")
        assert func.__module__ == f"assay.cli.{module}", command


def test_cli_has_no_loaders_or_statistics() -> None:
    """The CLI parses and prints: file formats, numerics and tables of numbers live in the library."""
    import ast

    banned = {"yaml", "numpy", "scipy", "pandas", "csv", "statistics", "math"}
    for path in sorted((ROOT / "assay" / "cli").glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module}
        assert not imported & banned, f"{path.name} imports {sorted(imported & banned)}"


def test_python_dash_m_assay_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "assay.cli", "--help"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0 and "robustness" in done.stdout
