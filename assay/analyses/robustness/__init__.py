"""Prompt-robustness analyses: format spread, bandit search, option order, consistency,
randomized versions, models x instructions, and answer-preserving perturbations.

Each module is pure computation over arrays or sample records; `runner` is the only one that
calls the engine.
"""

from assay.analyses.robustness.bandit import BanditResult, ExtremeSearch, find_extremes, thompson_search
from assay.analyses.robustness.consistency import ConsistencyReport, consistency
from assay.analyses.robustness.instructions_grid import InstructionGrid, instruction_grid
from assay.analyses.robustness.option_order import (
    OrderReport, cyclic_permutations, permute_sample, position_bias, random_permutations,
)
from assay.analyses.robustness.perturb import (
    PerturbationReport, add_distractor, perturbation_report, rename_entities, shuffle_options,
)
from assay.analyses.robustness.spread import FormatScore, FormatSpread, format_spread, spread_from_records
from assay.analyses.robustness.versions import VersionReport, version_metrics

__all__ = [
    "BanditResult", "ConsistencyReport", "ExtremeSearch", "FormatScore", "FormatSpread", "InstructionGrid",
    "OrderReport", "PerturbationReport", "VersionReport", "add_distractor", "consistency",
    "cyclic_permutations", "find_extremes", "format_spread", "instruction_grid", "permute_sample",
    "perturbation_report", "position_bias", "random_permutations", "rename_entities", "shuffle_options",
    "spread_from_records", "thompson_search", "version_metrics",
]
