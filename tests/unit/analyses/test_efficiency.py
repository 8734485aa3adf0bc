"""Efficiency analyses without a model: price tables and their errors, quantile intervals,
cost-of-pass, the roofline, scaling-curve expectations and the Pareto front."""

from __future__ import annotations

import math
from itertools import permutations
from pathlib import Path

import numpy as np
import pytest

from assay.analyses.efficiency.measures import run_efficiency
from assay.analyses.efficiency.prices import PriceUnit, load_prices, parse_prices
from assay.analyses.efficiency.roofline import Machine, ModelShape, ideal_seconds, shape_from_hf_config
from assay.analyses.efficiency.scaling import (ItemPool, ScalePoint, Method, Verifier, best_of_accuracy,
                                               majority_accuracy, mark_pareto, pareto_front)
from assay.core.results import MetricSummary, SampleRecord
from assay.core.run import Run, TaskResult
from assay.errors import ConfigError
from assay.stats.intervals import mean_ci
from assay.stats.passk import pass_at_k
from assay.stats.quantiles import quantile_ci

GOOD = """\
gpt-4o-mini:
  unit: usd_per_million_tokens
  input: 0.15
  output: 0.60
smollm2:
  unit: usd_per_hour
  hourly: 0.36
"""


def test_price_table_costs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = parse_prices(GOOD, "prices.yaml")
    assert table.for_model("openai:gpt-4o-mini@https://api.openai.com/v1").cost(1_000_000, 500_000, 9.0) \
        == pytest.approx(0.15 + 0.30)
    assert table.for_model("smollm2").unit is PriceUnit.PER_HOUR
    assert table.for_model("smollm2").cost(10, 10, 10.0) == pytest.approx(0.001)
    monkeypatch.setenv("ASSAY_HOME", str(tmp_path))
    assert load_prices() is None                            # no table kept: no dollars, no error
    (tmp_path / "prices.yaml").write_text(GOOD)
    assert load_prices() is not None and load_prices().source.endswith("prices.yaml")


@pytest.mark.parametrize("text, where, words", [
    ("m:\n  input: 1\n  output: 2\n", "prices.yaml:1, field 'm.unit'", "no unit"),
    ("m:\n  unit: usd_per_million_tokens\n  input: -1\n  output: 2\n", "prices.yaml:3, field 'm.input'", "negative"),
    ("m:\n  unit: usd_per_million_tokens\n  input: cheap\n  output: 2\n", "prices.yaml:3, field 'm.input'",
     "must be a number"),
    ("m:\n  unit: usd_per_minute\n  hourly: 1\n", "prices.yaml:2, field 'm.unit'", "unknown unit"),
    ("m:\n  unit: usd_per_hour\n  hourly: 1\n  output: 2\n", "prices.yaml:4, field 'm.output'", "does not belong"),
    ("m:\n  unit: usd_per_million_tokens\n  input: 1\n", "prices.yaml:1, field 'm.output'", "needs output"),
    ("m: 3\n", "prices.yaml:1, field 'm'", "maps to"),
    ("m:\n  unit: usd_per_hour\n  hourly: 1\nm:\n  unit: usd_per_hour\n  hourly: 2\n", "prices.yaml:4", "twice"),
    ("m: [unclosed\n", "prices.yaml", "not valid YAML"),
    ("", "prices.yaml", "empty"),
])
def test_price_table_bad_input_names_file_line_and_field(text: str, where: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_prices(text, "prices.yaml")
    assert str(err.value).startswith(where) and words in str(err.value)


def test_unknown_model_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no entry for model 'gemma3-270m'.*\n.*it lists: gpt-4o-mini, smollm2"):
        parse_prices(GOOD, "prices.yaml").check_models(["smollm2", "gemma3-270m"])
    with pytest.raises(ConfigError, match="cannot read the price table"):
        load_prices(tmp_path / "absent.yaml")


def test_quantile_interval_covers_at_its_level() -> None:
    """The order-statistic interval of the median and p90 covers the true quantile of an
    exponential at least 95% of the time (exact, distribution-free)."""
    rng = np.random.default_rng(1)
    truth = {0.5: math.log(2), 0.9: math.log(10)}
    for q, true in truth.items():
        intervals = [quantile_ci(rng.exponential(size=60), q) for _ in range(150)]
        hits = sum(ci.low <= true <= ci.high for ci in intervals)
        assert hits / 150 >= 0.9
    few = quantile_ci([1.0, 2.0, 3.0], 0.9)
    assert few.estimate == pytest.approx(2.8) and math.isnan(few.high)   # too few values: no invented end


def _run(correct: list[float], energy: list[float | None], kind: str = "estimated") -> Run:
    samples = [SampleRecord("r", "t", "1", "smollm2", "f", str(i), "p", "a", None, "a", {"acc": c}, 10, 5, 0.5,
                            False, metadata={"energy_j": e, "energy_kind": kind, "cpu_s": 0.1, "ttft_s": 0.05,
                                             "tpot_s": 0.01})
               for i, (c, e) in enumerate(zip(correct, energy))]
    summary = MetricSummary("acc", float(np.mean(correct)), len(correct), 0.1, 0.0, 1.0, "wilson")
    return Run("r", "smollm2", {"t": TaskResult("t", metrics={"acc": summary})}, samples)


def test_cost_of_pass_and_joules_per_correct() -> None:
    """Cost-of-pass (Erol et al. 2025) = Σ cost / Σ correct, with a delta-method interval."""
    run = _run([1, 0, 1, 1, 0, 0, 1, 0], [2.0, 4.0, 2.0, 2.0, 4.0, 4.0, 2.0, 4.0])
    eff = run_efficiency(run, parse_prices(GOOD, "p.yaml")).tasks[0]
    assert eff.cost_of_pass.estimate == pytest.approx(8 * 0.36 * 0.5 / 3600 / 4)
    assert eff.cost_of_pass.low < eff.cost_of_pass.estimate < eff.cost_of_pass.high
    assert eff.joules_per_correct.estimate == pytest.approx(24.0 / 4) and eff.energy_kind == "estimated"
    assert eff.quantiles["ttft_s"][0].estimate == pytest.approx(0.05)
    none_right = run_efficiency(_run([0, 0], [1.0, 1.0]), parse_prices(GOOD, "p.yaml")).tasks[0]
    assert none_right.cost_of_pass.estimate == math.inf          # no success: infinite cost per pass
    lost = run_efficiency(_run([1, 1], [1.0, None], kind="unavailable")).tasks[0]
    assert lost.energy_kind == "unavailable" and lost.joules_per_correct is None   # never silently estimated


def test_roofline_decoding_is_memory_bound_and_prefill_compute_bound() -> None:
    shape = shape_from_hf_config({"num_hidden_layers": 30, "hidden_size": 576, "num_attention_heads": 9,
                                  "num_key_value_heads": 3, "vocab_size": 49152}, n_params=134_515_008,
                                 bytes_per_param=4.0)
    machine = Machine(peak_flops=1e11, bandwidth=1e10, threads=2, load_avg=(0, 0, 0))
    one = ideal_seconds(shape, machine, 0, 1)
    assert one == pytest.approx(shape.weight_bytes / machine.bandwidth + 2 * 30 * 1 * 3 * 64 * 4 / 1e10, rel=1e-6)
    # a 512-token prompt: compute bound, 2·N·P FLOPs plus attention
    prefill = ideal_seconds(shape, machine, 512, 0)
    assert prefill == pytest.approx((2 * 134_515_008 * 512 + 2 * 30 * 9 * 64 * 512 * 513) / 1e11, rel=1e-9)
    assert ideal_seconds(shape, machine, 512, 10) > prefill + 10 * one * 0.99


def _pool(correct: list[int], answers: list[str], verifier: list[float] | None = None) -> ItemPool:
    return ItemPool("x", np.array(correct, float), tuple(answers), None if verifier is None else np.array(verifier),
                    10.0, 5.0, 0.1, 1.0, "estimated")


def test_majority_and_best_of_match_exact_enumeration() -> None:
    """The Monte Carlo expectation over N-subsets equals the exact average over all subsets
    (majority: over all orderings too, since a tie goes to the answer drawn first, i.e. at random)."""
    pool = _pool([1, 0, 0, 1, 1, 0], ["7", "3", "3", "7", "7", "5"], [-0.1, -0.5, -0.2, -0.9, -0.3, -0.05])
    rng = np.random.default_rng(0)
    for n in (1, 2, 3):
        exact_major, exact_best = [], []
        for idx in permutations(range(6), n):
            votes: dict[str, int] = {}
            for i in idx:
                votes[pool.answers[i]] = votes.get(pool.answers[i], 0) + 1
            top = max(votes.values())
            winner = next(pool.answers[i] for i in idx if votes[pool.answers[i]] == top)
            exact_major.append(1.0 if winner == "7" else 0.0)
            exact_best.append(pool.correct[max(idx, key=lambda i: pool.verifier[i])])
        assert majority_accuracy(pool, n, 4000, rng) == pytest.approx(np.mean(exact_major), abs=0.03)
        assert best_of_accuracy(pool, n, 4000, rng, Verifier.LOGLIK) == pytest.approx(np.mean(exact_best), abs=0.03)
        assert best_of_accuracy(pool, n, 1, rng, Verifier.ORACLE) == pytest.approx(pass_at_k(6, 3, n))
    assert majority_accuracy(pool, 6, 10, rng) == 1.0            # the whole pool: "7" wins 3 votes to 2


def test_pareto_front() -> None:
    assert pareto_front([1, 2, 3, 4, math.nan], [0.2, 0.5, 0.4, 0.6, 0.9]) == [True, True, False, True, False]
    assert pareto_front([1, 1], [0.5, 0.5]) == [True, True]       # ties dominate neither
    iv = mean_ci([0.1, 0.2])
    pts = [ScalePoint("m", Method.PASS, 8, mean_ci([1.0, 1.0]), mean_ci([1.0, 1.0]), None, None, None),
           ScalePoint("m", Method.MAJORITY, 1, iv, mean_ci([10.0, 10.0]), None, None, None)]
    marked = mark_pareto(pts)
    assert not marked[0].pareto_tokens and marked[1].pareto_tokens   # pass@N needs an oracle: never on a front


def test_scale_routes_the_verifier_and_refuses_a_backend_that_ignores_n() -> None:
    """Model-free (InstantModel answers one text whatever n is, as llama.cpp's server does):
    the pool check fails with a clear error, and --verifier-model sends step 2 to that model."""
    from assay.analyses.efficiency.scaling import ScaleSettings, scale
    from assay.engine.cache import ResponseCache
    from assay.errors import ModelError
    from assay.tasks.resolve import resolve_tasks
    from assay.testing import InstantModel

    (task,) = resolve_tasks(["arith-gen:n=3"])
    policy, judge = InstantModel(name="policy"), InstantModel(name="judge")
    with pytest.raises(ModelError, match="returned 1 answers .* where 4 were asked"):
        scale([policy], task, ResponseCache(None), ScaleSettings(ns=(1, 4)), model_specs=["policy"])
    curve = scale([policy], task, ResponseCache(None), ScaleSettings(ns=(1,), verifier_model=judge),
                  model_specs=["policy"])
    steps = curve.runs["policy"].samples[0].metadata["transcript"]
    assert [s["model"] for s in steps] == ["policy", "judge"] and curve.to_dict()["verifier_model"] == "judge"
