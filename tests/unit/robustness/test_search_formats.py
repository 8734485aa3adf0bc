"""`search_formats`: the bandit format search with its accounting (what `assay robustness bandit` prints)."""

from assay.analyses.robustness.runner import search_formats
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions
from assay.tasks.builtin import make_builtin
from assay.tasks.format_grammar import sample_formats
from assay.testing import InstantModel


def test_budget_defaults_to_half_of_exhaustive_over_the_limited_items():
    task = make_builtin("arith-mc", 8, 0)
    search = search_formats(InstantModel(), task, sample_formats(4, 0), ResponseCache(None),
                            RunOptions(limit=6, show_progress=False))
    assert search.n_items == 6 and search.exhaustive_calls == 24
    assert search.calls == 12 == search.best.calls + search.worst.calls


def test_an_explicit_budget_wins():
    task = make_builtin("arith-mc", 6, 0)
    search = search_formats(InstantModel(), task, sample_formats(3, 0), ResponseCache(None), budget=10)
    assert search.calls == 10 and search.exhaustive_calls == 18
