"""Prompt robustness with the real SmolLM2 on small built-in suites (kept to ~2 min)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from assay.analyses.robustness.bandit import find_extremes
from assay.analyses.robustness.option_order import cyclic_permutations
from assay.analyses.robustness.runner import (
    bandit_search, run_consistency, run_format_spread, run_option_order, run_perturbations, score_matrix,
)
from assay.core.task import FewShot
from assay.engine.cache import ResponseCache
from assay.tasks.builtin import make_builtin
from assay.tasks.format_grammar import sample_formats



@pytest.fixture(scope="module")
def spread_run(smollm2):
    task = replace(make_builtin("arith-mc", 20, 0), fewshot=FewShot(k=1))
    formats = sample_formats(5, seed=0)
    cache = ResponseCache(None)
    run, spreads = run_format_spread(smollm2, [task], formats, cache)
    return task, formats, cache, run, spreads


def test_formats_change_accuracy_by_a_measurable_spread(spread_run):
    _, formats, _, run, spreads = spread_run
    (s,) = spreads
    assert len(s.scores) == len(formats) and s.default is not None
    assert s.range >= 0.1  # at least two items' worth of accuracy between formats
    assert s.std > 0
    assert all(f.ci_low <= f.accuracy <= f.ci_high for f in s.scores)
    assert {r.format for r in run.samples} == {f.id for f in formats}


def test_bandit_finds_extremes_with_fewer_calls_than_exhaustive(spread_run):
    _, _, _, run, _ = spread_run
    _, matrix = score_matrix(run)
    # Formats within two items (0.1) of an extreme count as found: with 20 items the search
    # cannot be asked to separate formats closer than their own noise.
    searches = [find_extremes(matrix, budget=3 * matrix.size // 4, batch_size=2, seed=seed, tolerance=0.1)
                for seed in range(10)]
    assert sum(s.found_both for s in searches) >= 6
    assert all(s.calls < s.exhaustive_calls for s in searches)


def test_lazy_bandit_spends_only_its_budget(spread_run, smollm2):
    task, formats, cache, _, _ = spread_run
    best, worst, calls = bandit_search(smollm2, task, formats, budget=40, cache=cache, seed=0)
    assert calls == 40 == best.calls + worst.calls
    assert 0 <= worst.estimate <= best.estimate <= 1


def test_option_order_and_rewrites(smollm2):
    task = make_builtin("logic-mc", 10, 0)
    cache = ResponseCache(None)
    k = max(len(s.choices) for s in task.load())
    perms = {f"cyclic-{i}": p for i, p in enumerate(cyclic_permutations(k)[:2])}
    order = run_option_order(smollm2, task, perms, cache)
    assert set(order.accuracy) == set(perms)
    assert sum(order.pick_rate) == pytest.approx(1.0) and sum(order.base_rate) == pytest.approx(1.0)
    reports = run_perturbations(smollm2, task, ["shuffle-options", "rename"], cache)
    assert [r.perturbation for r in reports] == ["shuffle-options", "rename"]
    assert all(r.comparison.n == 10 for r in reports)


def test_consistency_at_temperature(smollm2):
    task = make_builtin("arith-gen", 4, 0)
    report = run_consistency(smollm2, task, m=3, temperature=1.0, cache=ResponseCache(None))
    assert report.n_items == 4 and report.m == 3
    assert 1 / 3 <= report.agreement <= 1
    assert 0 <= report.majority_accuracy <= 1
    assert np.isfinite(report.mean_accuracy)
