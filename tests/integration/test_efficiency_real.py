"""Efficiency on real bundled models: SmolLM2 through transformers and llama.cpp answers with
non-zero TTFT, TPOT and tokens, CPU time and energy labelled `estimated` (these VMs have no
RAPL or NVML counter), a roofline ratio, and a tiny real test-time scaling curve."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

import assay
from assay.analyses.efficiency.measures import run_efficiency
from assay.analyses.efficiency.prices import parse_prices
from assay.analyses.efficiency.roofline import Machine, ideal_seconds, model_shape
from assay.analyses.efficiency.scaling import Method, ScaleSettings, Verifier, scale
from assay.engine.cache import ResponseCache
from assay.report.efficiency import efficiency_section, scale_section
from assay.store import load_run
from assay.tasks.resolve import resolve_tasks

pytestmark = pytest.mark.slow

# A roofline machine fixed for the test (measuring the machine is the benchmark's job). Its
# peaks are upper bounds no CPU this suite runs on reaches (1 TFLOP/s, 200 GB/s), so a real
# run can never beat its roofline; a lower guess (20 GFLOP/s) was beaten on a quiet machine.
MACHINE = Machine(peak_flops=1e12, bandwidth=2e11, threads=2, load_avg=(0.0, 0.0, 0.0))


@pytest.mark.parametrize("fixture", ["smollm2", "smollm2_llamacpp"])
def test_generation_is_metered_and_labelled(fixture: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    model = request.getfixturevalue(fixture)
    (task,) = resolve_tasks(["arith-gen:n=2"])
    task = replace(task, generation=replace(task.generation, max_tokens=6))
    run = assay.evaluate(model, [task], cache=None, out=tmp_path / "run")
    answered = [s for s in run.samples if s.error is None]
    assert len(answered) == 2
    for s in answered:
        m = s.metadata
        assert s.tokens_in > 0 and s.tokens_out > 0 and s.latency_s > 0
        assert m["ttft_s"] > 0   # a batch's first token (hf batches: latency_s is the request's share)
        if s.tokens_out > 1:
            assert m["tpot_s"] > 0
        assert m["cpu_s"] > 0 and m["energy_j"] > 0 and m["energy_kind"] == "estimated"
        assert m["energy_source"].startswith("cpu-time x") and m["peak_rss_mb"] > 100
    # the same figures in results.json and samples.jsonl, and back through the store's reader
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    eff = results["manifest"]["efficiency"]
    assert eff["meter"]["energy_kind"] == "estimated" and "W per busy core" in eff["meter"]["estimate"]
    task = eff["tasks"]["arith-gen"]
    assert task["energy_kind"] == "estimated" and task["energy_total_j"] > 0
    assert task["ttft_s"]["median"]["value"] > 0 and task["tpot_s"]["n"] >= 1
    line = json.loads((tmp_path / "run" / "samples.jsonl").read_text().splitlines()[0])
    assert line["metadata"]["energy_kind"] == "estimated"
    again = load_run(tmp_path / "run")
    shape = model_shape(model)
    assert shape.n_layers == 30 and shape.d_model == 576 and shape.n_params > 100_000_000
    summary = run_efficiency(again, parse_prices(f"'{run.model}':\n  unit: usd_per_hour\n  hourly: 0.36\n"),
                             shape=shape, machine=MACHINE).tasks[0]
    assert summary.energy_kind == "estimated" and summary.cost_total_usd > 0
    assert summary.ideal_ratio is not None and summary.ideal_ratio[0].estimate > 1   # nothing beats the roofline
    html = efficiency_section([again])
    assert html is not None and "estimated" in html and "<svg" in html


def test_scale_curve_on_a_tiny_real_run(smollm2_llamacpp: object) -> None:
    """One pool of 3 answers per item, reused for N = 1, 2, 3: the curve costs 3 generations
    per item, and a second call is answered entirely from the cache."""
    (task,) = resolve_tasks(["arith-gen:n=2"])
    cache = ResponseCache(None)
    settings = ScaleSettings(ns=(1, 2, 3), temperature=0.8, max_tokens=6, verifier=Verifier.LOGLIK, subsets=50)
    curve = scale([smollm2_llamacpp], task, cache, settings, model_specs=["llamacpp:smollm2"],
                  prices=parse_prices("llamacpp:smollm2:\n  unit: usd_per_hour\n  hourly: 0.36\n"))
    run = curve.runs["llamacpp:smollm2"]
    assert all(isinstance(s.response, list) and len(s.response) == 3 for s in run.samples)
    assert all(len(s.metadata["transcript"]) == 2 for s in run.samples)       # pool, then the verifier step
    by = {(p.method, p.n): p for p in curve.points}
    assert set(by) == {(m, n) for m in Method for n in (1, 2, 3)}
    for n in (1, 2, 3):
        assert 0.0 <= by[(Method.PASS, n)].accuracy.estimate <= 1.0
        assert by[(Method.MAJORITY, n)].energy_kind == "estimated" and by[(Method.MAJORITY, n)].energy_j.estimate > 0
    # pass@N never falls with N; tokens, joules and dollars grow with N
    passes = [by[(Method.PASS, n)].accuracy.estimate for n in (1, 2, 3)]
    assert passes == sorted(passes)
    tokens = [by[(Method.MAJORITY, n)].tokens.estimate for n in (1, 2, 3)]
    assert tokens == sorted(tokens) and tokens[0] < tokens[2]
    assert by[(Method.BEST, 2)].tokens.estimate > by[(Method.MAJORITY, 2)].tokens.estimate   # the verifier costs
    assert any(p.pareto_energy for p in curve.points) and not any(p.pareto_energy for p in curve.points
                                                                   if p.method is Method.PASS)
    assert math.isfinite(by[(Method.MAJORITY, 3)].cost_usd.estimate)
    again = scale([smollm2_llamacpp], task, cache, settings, model_specs=["llamacpp:smollm2"])
    assert all(s.cached for s in again.runs["llamacpp:smollm2"].samples)
    assert [p.accuracy.estimate for p in again.points if p.method is Method.PASS] == \
        [p.accuracy.estimate for p in curve.points if p.method is Method.PASS]
    assert "<svg" in scale_section(curve)
