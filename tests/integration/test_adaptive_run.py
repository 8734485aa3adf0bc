"""Adaptive testing inside the run loop (issue 13) with the real bundled SmolLM2: the items
are chosen one by one from the answers, the manifest records the sequence and the estimate,
and a run cut short resumes from the cache to the same sequence.

The calibration is simulated item parameters over the task's real sample ids (calibrating
on real runs is what `benchmarks/irt_own_runs.py` does, minutes of CPU); the model, the
engine, the cache and the scoring are real."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import assay
from assay.analyses.irt_calibration import calibrate, save_calibration
from assay.analyses.irt_data import ResponseMatrix
from assay.api import evaluate_adaptive, resolve_task_args
from assay.errors import ConfigError
from assay.stats.irt import ItemParameters, simulate_responses

TASK = "arith-mc:n=30"


@pytest.fixture(scope="module")
def calibration(tmp_path_factory) -> Path:
    task = resolve_task_args(TASK)[0]
    ids = tuple(s.id for s in task.load())
    rng = np.random.default_rng(0)
    truth = ItemParameters(rng.lognormal(0, 0.3, len(ids)), rng.normal(0, 1, len(ids)), np.zeros(len(ids)))
    y = simulate_responses(truth, rng.normal(0, 1, 60), 1)
    cal = calibrate(ResponseMatrix(y, tuple(f"m{i}" for i in range(60)), ids, task.name, task.version), n_boot=4)
    return save_calibration(cal, tmp_path_factory.mktemp("irt") / "items.json")


def test_adaptive_run_resumes_to_the_same_item_sequence(smollm2, calibration, tmp_path) -> None:
    cache = tmp_path / "cache.sqlite"
    short = evaluate_adaptive(smollm2, TASK, calibration, max_items=2, cache=cache)
    full = evaluate_adaptive(smollm2, TASK, calibration, max_items=4, cache=cache, out=tmp_path / "run")
    again = evaluate_adaptive(smollm2, TASK, calibration, max_items=4, cache=cache)

    first, second, third = (r.manifest["adaptive"]["items"] for r in (short, full, again))
    assert len(first) == 2 and len(second) == 4
    assert second[:2] == first  # the cut-short run's items come back in the same order ...
    assert full.manifest["requests"]["cache_hits"] >= 2 * 4  # ... from the cache (4 options each)
    assert third == second and again.manifest["requests"]["computed"] == 0

    acc = full.metrics["arith-mc"]["acc"]
    assert acc.method == "irt-adaptive" and acc.n == 4 and acc.ci_low <= acc.value <= acc.ci_high
    assert [r.sample_id for r in full.samples] == second  # one record per asked item, in order
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    est = saved["manifest"]["adaptive"]["estimate"]
    assert saved["manifest"]["adaptive"]["items"] == second and 0 <= est["ci_low"] <= est["accuracy"] <= est["ci_high"]
    # the answers recorded are the task's own scores of those items
    assert saved["manifest"]["adaptive"]["answers"] == [int(r.scores["acc"]) for r in full.samples]
    assert isinstance(assay.load_run(tmp_path / "run"), assay.Run)


def test_adaptive_run_stops_at_the_target_se(smollm2, calibration, tmp_path) -> None:
    run = evaluate_adaptive(smollm2, TASK, calibration, max_items=30, target_se=0.7, cache=tmp_path / "c.sqlite")
    info = run.manifest["adaptive"]
    assert info["estimate"]["theta_se"] <= 0.7 and len(info["items"]) < 30 and "target" in info["stop_reason"]


def test_calibration_for_another_task_is_refused(smollm2, calibration) -> None:
    with pytest.raises(ConfigError) as err:
        evaluate_adaptive(smollm2, "logic-mc:n=30", calibration, max_items=2, cache=None)
    assert "items.json" in str(err.value) and "arith-mc" in str(err.value)
