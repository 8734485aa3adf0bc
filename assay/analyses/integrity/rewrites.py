"""Rewrite gap: accuracy on the original items against answer-preserving rewrites of them
(the robustness module's perturbations, after DyVal 2's meta probing agents), paired by item.

A model that memorised the items answers the originals better than the same questions
reworded; a large drop on the rewrites is evidence of memorisation. On items no model can
have seen (the built-in suites) the gap should be near zero, which is how the check is
validated (benchmarks/integrity.py).
"""

from __future__ import annotations

from typing import Any, Sequence

from assay.analyses.robustness.perturb import PerturbationReport

DEFAULT_REWRITES = ("distractor", "rename")
"""Rewrites that keep the prompt format: an irrelevant sentence in front, people renamed.
`shuffle-options` is available too; it lists the options in every variant's prompt."""


def run_rewrite_gap(model: Any, task: Any, cache: Any, options: Any, kinds: Sequence[str] = DEFAULT_REWRITES,
                    seed: int = 0) -> list[PerturbationReport]:
    """Original minus rewritten accuracy per rewrite kind, each a paired test with its CI
    (`PerturbationReport.drop`, `.comparison`). A kind that changes no item of the task (a
    rename with none of the names present) is reported with a gap of exactly zero."""
    from assay.analyses.robustness.runner import run_perturbations

    return run_perturbations(model, task, kinds, cache, options, seed)
