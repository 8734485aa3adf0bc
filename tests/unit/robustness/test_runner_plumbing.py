"""The runner's task variants and bookkeeping, with the instant engine-test adapter (the
real-model checks are in tests/integration/test_robustness.py)."""

from assay.analyses.robustness.option_order import cyclic_permutations
from assay.analyses.robustness.runner import (
    bandit_search, run_consistency, run_format_spread, run_option_order, run_perturbations, run_versions,
    score_matrix, spreads_of_run,
)
from assay.engine.cache import ResponseCache
from assay.tasks.builtin import make_builtin
from assay.tasks.format_grammar import sample_formats
from assay.testing import InstantModel


def test_format_variants_run_and_spread():
    task = make_builtin("arith-mc", 6, 0)
    formats = sample_formats(3, 0)
    run, spreads = run_format_spread(InstantModel(), [task], formats, ResponseCache(None))
    assert list(run.tasks) == [f"arith-mc@{f.id}" for f in formats]
    assert {r.format for r in run.samples} == {f.id for f in formats}
    assert len(spreads) == 1 and len(spreads[0].scores) == 3
    assert spreads_of_run(run)[0].to_dict() == spreads[0].to_dict()
    names, matrix = score_matrix(run)
    assert matrix.shape == (3, 6)


def test_lazy_bandit_counts_calls():
    model = InstantModel()
    task = make_builtin("arith-mc", 6, 0)
    best, worst, calls = bandit_search(model, task, sample_formats(3, 0), 10, ResponseCache(None))
    assert calls == 10 == best.calls + worst.calls


def test_order_consistency_versions_perturb_plumbing():
    model, cache = InstantModel(), ResponseCache(None)
    logic = make_builtin("logic-mc", 5, 0)
    k = max(len(s.choices) for s in logic.load())
    rep = run_option_order(model, logic, {f"c{i}": p for i, p in enumerate(cyclic_permutations(k))}, cache)
    assert len(rep.accuracy) == k
    cons = run_consistency(model, make_builtin("arith-gen", 3, 0), 3, 0.7, cache)
    assert cons.m == 3 and cons.agreement == 1.0  # the instant model always replies "42"
    ver = run_versions(model, "arith-mc", 4, [0, 1000], cache)
    assert ver.versions == 2 and ver.n_items == 4
    reps = run_perturbations(model, logic, ["shuffle-options", "distractor", "rename"], cache)
    assert [r.perturbation for r in reps] == ["shuffle-options", "distractor", "rename"]
