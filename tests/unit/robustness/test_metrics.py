"""Robustness metrics against values computed by hand on small fixed tables."""

import math

import numpy as np
import pytest

from assay.analyses.robustness import (
    consistency, cyclic_permutations, find_extremes, format_spread, instruction_grid, permute_sample,
    perturbation_report, position_bias, random_permutations, spread_from_records, thompson_search,
    version_metrics,
)
from assay.analyses.robustness.bandit import Direction
from assay.analyses.robustness.option_order import order_report
from assay.core.results import SampleRecord
from assay.core.sample import Sample


def test_format_spread_by_hand():
    s = format_spread("t", {"default": [1, 1, 0, 0], "f1": [1, 1, 1, 0], "f2": [0, 0, 0, 1]})
    assert (s.min, s.max, s.range) == (0.25, 0.75, 0.5)
    assert s.std == pytest.approx(0.25)  # sample std of .5,.75,.25
    assert s.best.format == "f1" and s.worst.format == "f2"
    assert s.default.accuracy == 0.5
    # Wilson 95% for 2/4: centre (2+1.92)/(4+3.84)
    assert s.default.ci_low == pytest.approx(0.1500, abs=1e-4)
    assert s.default.ci_high == pytest.approx(0.8500, abs=1e-4)


def test_spread_from_records_groups_by_base_task_and_format():
    rows = [{"task": f"a@{f}", "format": f, "scores": {"acc": v}, "sample_id": str(i)} for i, (f, v) in
            enumerate([("default", 1), ("default", 0), ("x", 1), ("x", 1)])]
    rows.append({"task": "b", "format": "default", "scores": {"acc": 1}, "sample_id": "0"})
    (s,) = spread_from_records([SampleRecord.from_dict(r) for r in rows])
    assert s.task == "a" and s.range == 0.5


def test_thompson_on_seeded_matrix_finds_extremes_with_fewer_calls():
    rng = np.random.default_rng(0)
    p = np.linspace(0.2, 0.8, 10)
    matrix = (rng.random((10, 200)) < p[:, None]).astype(float)
    search = find_extremes(matrix, budget=800, batch_size=8, seed=0)
    assert search.found_both
    found = search.calls_to_find()
    assert found is not None and found < search.exhaustive_calls
    assert search.calls <= 800 < search.exhaustive_calls
    low, high = search.interval
    assert low == min(search.true_accuracy) and high == max(search.true_accuracy)


def test_thompson_single_arm_and_budget():
    calls = []

    def oracle(arm, items):
        calls.append(len(items))
        return [1.0] * len(items)

    res = thompson_search(oracle, n_arms=1, n_items=10, budget=7, batch_size=3, direction=Direction.WORST)
    assert res.calls == 7 and calls == [3, 3, 1] and res.estimate == 1.0


def test_calls_to_find_requires_staying():
    from assay.analyses.robustness.bandit import BanditResult
    r = BanditResult(Direction.BEST, 2, 0.5, 30, ((10, 2), (20, 1), (30, 2)))
    assert r.calls_to_find({2}) == 30
    assert r.calls_to_find({0}) is None


def test_permutations_and_permute_sample():
    assert cyclic_permutations(3) == [(0, 1, 2), (1, 2, 0), (2, 0, 1)]
    assert random_permutations(4, 2, seed=1) == random_permutations(4, 2, seed=1)
    s = Sample("i", "q", 0, ("a", "b", "c"))
    t = permute_sample(s, (1, 2, 0))
    assert t.choices == ("b", "c", "a") and t.target == 2


def test_position_bias_by_hand():
    picks, base = position_bias([0, 0, 0, 1], [0, 1, 2, 3], 4)
    assert picks == (0.75, 0.25, 0.0, 0.0) and base == (0.25,) * 4
    rep = order_report({"id": ([0, 0], [0, 1]), "shift": ([0, 0], [1, 0])}, 2)
    assert rep.accuracy == {"id": 0.5, "shift": 0.5}
    assert rep.bias == (0.5, -0.5) and rep.total_variation == 0.5


def test_consistency_by_hand():
    answers = [["a", "a", "b"], ["x", "x", "x"], ["p", "q", "r"]]
    correct = [[1, 1, 0], [0, 0, 0], [0, 1, 0]]
    r = consistency(answers, correct)
    assert r.agreement == pytest.approx((2 / 3 + 1 + 1 / 3) / 3)
    assert r.fully_consistent == pytest.approx(1 / 3)
    assert r.majority_accuracy == pytest.approx(1 / 3)  # a (right), x (wrong), p (first of tie, wrong)
    assert r.mean_accuracy == pytest.approx(3 / 9)


def test_versions_eacc_and_gap_by_hand():
    m = [[1, 1, 1], [1, 0, 1], [0, 0, 0], [1, 1, 0]]
    r = version_metrics(m)
    assert r.per_version == (0.75, 0.5, 0.5)
    assert r.average_accuracy == pytest.approx(7 / 12)
    assert r.effective_accuracy == 0.25
    assert r.reasoning_gap == pytest.approx(7 / 12 - 0.25)


def test_instruction_grid_by_hand():
    # 2 models x 2 instructions, one dataset
    x = np.array([[0.4, 0.6], [0.2, 0.2]])
    g = instruction_grid(x, ["m1", "m2"], ["i1", "i2"], top_k=1)
    assert g.best_performance.tolist() == [[0.6, 0.2]]
    # model MRG: column means .3,.4 -> m1: ((.4-.3)/.3 + (.6-.4)/.4)/2*100
    assert g.model_mrg[0] == pytest.approx(100 * (1 / 3 + 0.5) / 2)
    assert g.model_mrg[1] == pytest.approx(100 * (-1 / 3 - 0.5) / 2)
    # instruction MRG: row means .5,.2 -> i1: ((.4-.5)/.5 + 0)/2*100
    assert g.instruction_mrg[0] == pytest.approx(-10.0)
    assert g.model_stability.tolist() == pytest.approx([0.1, 0.0])
    assert g.instruction_stability.tolist() == pytest.approx([0.1, 0.2])
    assert g.adaptability.tolist() == [[0, 1], [1, 0]]  # tie on m2 goes to the first
    assert g.global_hit_ratio.tolist() == [0.5, 0.5]


def test_perturbation_report():
    r = perturbation_report("distractor", [1, 1, 1, 0], [1, 0, 1, 0])
    assert r.original == 0.75 and r.rewritten == 0.5 and r.drop == 0.25
    assert r.comparison.diff == pytest.approx(-0.25)
    assert not math.isnan(r.comparison.p_value)
