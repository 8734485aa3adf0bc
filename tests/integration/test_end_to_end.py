"""The whole pipe with the real bundled models: run, write, compare (issues 2 and 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.cli import main
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.tasks.resolve import resolve_tasks

pytestmark = pytest.mark.slow


def test_quick_suite_end_to_end(smollm2, tmp_path: Path) -> None:
    tasks = resolve_tasks(["quick"])
    run = evaluate(smollm2, tasks, ResponseCache(tmp_path / "c.sqlite"), RunOptions(limit=2, show_progress=False),
                   model_spec="smollm2")
    out = run.save(tmp_path / "out")
    results = json.loads((out / "results.json").read_text())
    assert set(results["tasks"]) == {t.name for t in tasks}
    for task in results["tasks"].values():
        assert task["n"] == 2 and task["n_failed"] == 0
        for m in task["metrics"].values():
            assert m["n"] == 2 and m["ci_low"] <= m["value"] <= m["ci_high"]
    manifest = results["manifest"]
    assert len(manifest["model"]["identity"]["gguf_sha256"]) == 64
    assert {"torch", "transformers", "numpy"} <= set(manifest["packages"])
    assert manifest["hardware"]["cpu_count"] >= 1 and manifest["started"] <= manifest["finished"]
    rows = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 2 * len(tasks)
    mc = next(r for r in rows if r["task"] == "arith-mc")
    assert len(mc["response"]) == len(mc["metadata"]["choices"]) and mc["prompt"].endswith("Answer:")
    gen = next(r for r in rows if r["task"] == "arith-gen")
    assert isinstance(gen["response"], str) and gen["tokens_out"] > 0 and gen["latency_s"] > 0


def test_compare_smollm2_with_gemma(smollm2, gemma, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tasks = resolve_tasks(["arith-mc:n=12", "logic-mc:n=8"])
    dirs = []
    for name, model in (("smollm2", smollm2), ("gemma3-270m", gemma)):
        run = evaluate(model, tasks, ResponseCache(tmp_path / "c.sqlite"), RunOptions(show_progress=False),
                       model_spec=name)
        dirs.append(run.save(tmp_path / name))
    report = tmp_path / "compare.json"
    assert main(["compare", str(dirs[0]), str(dirs[1]), "--json", str(report)]) == 0
    data = json.loads(report.read_text())
    assert data["model_a"] == "smollm2" and data["model_b"] == "gemma3-270m"
    assert [t["task"] for t in data["tasks"]] == ["arith-mc", "logic-mc"]
    for t in data["tasks"]:
        assert t["n"] == (12 if t["task"] == "arith-mc" else 8)
        assert t["ci_low"] <= t["diff"] <= t["ci_high"] and 0 <= t["p_value"] <= 1
        assert t["test"] == "mcnemar-exact"
    assert "smollm2" in capsys.readouterr().out
