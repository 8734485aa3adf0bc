"""`verify_runs` / `assay verify` (issue 19): two runs are the same up to the fields `IGNORED` lists."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import assay
from assay.cli import main
from assay.store.verify import IGNORED, verify_runs
from assay.testing.instant import InstantModel


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("verify")
    for name in ("a", "b"):  # two real runs: ids, times and usage differ, results do not
        assay.evaluate(InstantModel(), ["logic-mc", "arith-gen"], limit=4, cache=None, out=root / name, chunk_size=3 if name == "a" else 64)
    return root / "a", root / "b"


def _copy(run: Path, to: Path) -> Path:
    shutil.copytree(run, to)
    return to


def _edit_sample(run: Path, index: int, edit) -> None:  # type: ignore[no-untyped-def]
    lines = (run / "samples.jsonl").read_text().splitlines()
    row = json.loads(lines[index])
    edit(row)
    lines[index] = json.dumps(row)
    (run / "samples.jsonl").write_text("\n".join(lines) + "\n")


def test_two_runs_of_the_same_work_are_identical(runs):
    a, b = runs
    assert json.loads((a / "results.json").read_text())["run_id"] != json.loads((b / "results.json").read_text())["run_id"]
    check = verify_runs(a, b)
    assert check.identical and check.samples_compared == 8, check.differences


def test_ignored_fields_may_differ_but_nothing_else(runs, tmp_path):
    a, _ = runs
    b = _copy(a, tmp_path / "b")
    _edit_sample(b, 0, lambda r: r.update(latency_s=99.0, cached=True, run_id="x", metadata={**r["metadata"], "cpu_s": 5.0}))
    results = json.loads((b / "results.json").read_text())
    results["manifest"]["finished"] = "later"
    results["tasks"]["logic-mc"]["requests"]["cache_hits"] = 123
    (b / "results.json").write_text(json.dumps(results))
    assert verify_runs(a, b).identical
    assert "latency_s" in IGNORED["samples.jsonl"] and "manifest" in IGNORED["results.json"]

    _edit_sample(b, 1, lambda r: r.update(response=[0.5] + r["response"][1:]))
    results["tasks"]["logic-mc"]["metrics"]["acc"]["value"] = 0.75
    (b / "results.json").write_text(json.dumps(results))
    check = verify_runs(a, b)
    assert not check.identical and check.n_differences == 2
    wheres = [(f, w) for f, w, _, _ in check.differences]
    assert ("results.json", "tasks.logic-mc.metrics.acc.value") in wheres
    assert any(f == "samples.jsonl" and w.endswith("response[0]") for f, w in wheres)


def test_a_missing_or_duplicated_sample_is_a_difference_or_an_error(runs, tmp_path):
    a, _ = runs
    b = _copy(a, tmp_path / "b")
    lines = (b / "samples.jsonl").read_text().splitlines()
    (b / "samples.jsonl").write_text("\n".join(lines[1:]) + "\n")
    check = verify_runs(a, b)
    assert not check.identical and check.differences[0][2:] == ("present", "<absent>")
    (b / "samples.jsonl").write_text("\n".join(lines + lines[:1]) + "\n")
    with pytest.raises(assay.ConfigError, match="appears twice") as info:
        verify_runs(a, b)
    assert info.value.line == len(lines) + 1


def test_rtol_forgives_float_noise_but_not_a_changed_answer(runs, tmp_path):
    a, _ = runs
    b = _copy(a, tmp_path / "b")
    _edit_sample(b, 0, lambda r: r.update(response=[x * (1 + 3e-7) for x in r["response"]]))
    assert not verify_runs(a, b).identical
    assert verify_runs(a, b, rtol=1e-5).identical
    _edit_sample(b, 0, lambda r: r.update(extracted=(r["extracted"] + 1) % 3))
    assert not verify_runs(a, b, rtol=1e-5).identical


def test_cli_exit_codes(runs, tmp_path, capsys):
    a, b = runs
    assert main(["verify", str(a), str(b)]) == 0
    assert "identical" in capsys.readouterr().out
    c = _copy(a, tmp_path / "c")
    _edit_sample(c, 2, lambda r: r.update(scores={k: 1.0 - v for k, v in r["scores"].items()}))
    assert main(["verify", str(a), str(c)]) == 1
    assert main(["verify", str(a), str(tmp_path / "nowhere")]) == 2
