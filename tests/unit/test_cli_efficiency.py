"""`assay efficiency` and `assay scale` on bad input: one clear line and exit 2, before any
model loads; and the efficiency table of a metered run (InstantModel, no model needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.cli import main
from tests.unit.store.runs import make_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("cli-eff") / "run", "instant", builtin=(), say_n=6)


def test_efficiency_table_and_json(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("instant:\n  unit: usd_per_hour\n  hourly: 1.0\n")
    out = tmp_path / "eff.json"
    assert main(["efficiency", str(run_dir), "--prices", str(prices), "--json", str(out)]) == 0
    printed = capsys.readouterr()
    assert "efficiency per answer" in printed.out and "estimated" in printed.out
    data = json.loads(out.read_text())
    assert data[0]["tasks"][0]["energy_kind"] in ("estimated", "measured")
    assert data[0]["tasks"][0]["cost_total_usd"] >= 0


@pytest.mark.parametrize("argv, words", [
    (["scale", "instant", "arith-mc:n=3"], "scaling curves need a generation task"),
    (["scale", "instant", "arith-gen:n=3", "--n", "0,2"], "--n must list positive"),
    (["scale", "instant", "arith-gen:n=3", "--n", "one,two"], "comma-separated"),
    (["scale", "instant", "arith-gen:n=3", "--temperature", "0"], "temperature > 0"),
])
def test_scale_bad_input(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert words in " ".join(capsys.readouterr().err.split())


def test_efficiency_bad_price_table(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "prices.yaml"
    bad.write_text("instant:\n  unit: usd_per_hour\n  hourly: -2\n")
    assert main(["efficiency", str(run_dir), "--prices", str(bad)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{bad}:3" in err and "instant.hourly" in err and "negative" in err
    other = tmp_path / "other.yaml"
    other.write_text("gpt-4o:\n  unit: usd_per_million_tokens\n  input: 1\n  output: 2\n")
    assert main(["efficiency", str(run_dir), "--prices", str(other)]) == 2
    assert "no entry for model 'instant'" in capsys.readouterr().err
