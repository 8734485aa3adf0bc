"""`assay compare` on saved runs made with the instant adapter (no model needed)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assay.analyses.compare import compare_runs
from assay.cli import main
from assay.core import Sample, Task, TaskKind
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.errors import ConfigError
from assay.stats import CorrectionMethod, mcnemar_exact
from assay.store import load_run_dir, write_run_dir
from assay.testing import InstantModel
from tests.unit.engine.test_engine import ArgmaxScorer


def _task(name: str, n: int) -> Task:
    samples = [Sample(id=f"{name}-{i}", input=f"{name} item {i}?", target=i % 4, choices=("a", "b", "c", "d"),
                      metadata={"group": f"{name}-{i}"}) for i in range(n)]
    return Task(name=name, version="1", kind=TaskKind.MULTIPLE_CHOICE, load=lambda: samples, scorers=(ArgmaxScorer(),))


@pytest.fixture()
def two_runs(tmp_path):
    tasks = [_task("t1", 60), _task("t2", 40), _task("t3", 30), _task("t4", 50)]
    dirs = []
    for name in ("model-a", "model-b"):
        run = evaluate(InstantModel(name=name), tasks, ResponseCache(None), RunOptions(show_progress=False))
        dirs.append(write_run_dir(run, tmp_path / name))
    return dirs


def test_compare_aligns_items_and_matches_mcnemar(two_runs):
    a, b = (load_run_dir(d) for d in two_runs)
    result = compare_runs(a, b)
    assert [t.task for t in result.tasks] == ["t1", "t2", "t3", "t4"]
    t1 = result.tasks[0]
    xa = np.array([r.scores["acc"] for r in a.rows("t1")])
    xb = np.array([r.scores["acc"] for r in b.rows("t1")])
    assert t1.comparison.n == 60 and t1.comparison.diff == pytest.approx(xa.mean() - xb.mean())
    assert t1.comparison.p_value == pytest.approx(mcnemar_exact(xa, xb).p_value)
    # Holm: adjusted p-values are never below the raw ones
    assert all(t.p_adjusted >= t.comparison.p_value - 1e-12 for t in result.tasks)
    assert result.mean is not None and result.iqm is not None
    assert result.mean.difference.low <= result.mean.difference.estimate <= result.mean.difference.high


def test_compare_reports_unmatched_and_skipped(tmp_path, two_runs):
    a = load_run_dir(two_runs[0])
    b = load_run_dir(two_runs[1])
    b.samples[:] = [r for r in b.samples if not (r.task == "t1" and r.sample_id.endswith("-0"))
                    and r.task != "t4"]
    result = compare_runs(a, b, correction=CorrectionMethod.BENJAMINI_HOCHBERG)
    t1 = next(t for t in result.tasks if t.task == "t1")
    assert t1.unmatched == 1 and t1.comparison.n == 59
    assert result.skipped == {"t4": "no common sample ids"}


def test_cli_compare_writes_json(two_runs, tmp_path, capsys):
    out = tmp_path / "cmp.json"
    assert main(["compare", str(two_runs[0]), str(two_runs[1]), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["correction"] == "holm" and len(data["tasks"]) == 4
    assert {"diff", "ci_low", "ci_high", "p_value", "p_adjusted", "minimum_detectable_difference"} <= set(data["tasks"][0])


def test_compare_bad_directory_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match="results.json"):
        load_run_dir(tmp_path)
    (tmp_path / "results.json").write_text('{"tasks": {}}')
    (tmp_path / "samples.jsonl").write_text('{"task": "x", "sample_id": "1", "scores": {}}\n{"task": "x"}\n')
    with pytest.raises(ConfigError, match=r"samples.jsonl:2.*sample_id"):
        load_run_dir(tmp_path)
    (tmp_path / "samples.jsonl").write_text('{"task": "x", "sample_id": "1", "scores": {"acc": "yes"}}\n')
    with pytest.raises(ConfigError, match=r"samples.jsonl:1, field 'scores.acc': a score must be a number"):
        load_run_dir(tmp_path)


def test_power_cli(capsys):
    assert main(["power", "--n", "100", "--p", "0.5", "--target", "0.05"]) == 0
    text = capsys.readouterr().out
    assert "19.3" in text  # two-sample arcsine MDD for n=100 at p=0.5 (Cohen 1988)
    assert main(["power"]) == 2


def test_variance_of_repeated_runs(tmp_path):
    """Three runs of a sampled-generation task: the CLI table and the decomposition agree."""
    from assay.analyses.repeats import repeated_run_variance
    from assay.core import Completion, GenerationParams, Score
    from assay.stats import decompose_variance

    class Equals:
        name, metrics = "equals", ("exact_match",)

        def __call__(self, sample, output):  # type: ignore[no-untyped-def]
            return Score({"exact_match": float(output.text == sample.target)})

    samples = [Sample(id=f"s{i}", input=f"q{i}", target="1") for i in range(30)]
    task = Task(name="sampled", version="1", kind=TaskKind.GENERATE, load=lambda: samples, scorers=(Equals(),),
                generation=GenerationParams(temperature=0.8, max_tokens=4))
    dirs = []
    for seed in range(3):
        model = InstantModel(reply=lambda req: str(int(req.params.seed) % 2))
        run = evaluate(model, [task], ResponseCache(None), RunOptions(seed=seed, show_progress=False))
        dirs.append(write_run_dir(run, tmp_path / f"r{seed}"))
    runs = [load_run_dir(d) for d in dirs]
    (row,) = repeated_run_variance(runs)
    matrix = np.array([[r.scores["exact_match"] for r in run.rows("sampled")] for run in runs]).T
    assert row.decomposition.to_dict() == pytest.approx(decompose_variance(matrix).to_dict())
    assert row.decomposition.within_item_variance > 0
    assert main(["variance", *map(str, dirs)]) == 0
