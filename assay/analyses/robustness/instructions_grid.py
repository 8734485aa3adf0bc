"""Models x instructions (MM-BigBench): best performance, mean relative gain, stability,
adaptability.

Scores form a (datasets x models x instructions) array. Following MM-BigBench (Yang et al.):
- Best performance: per dataset and model, the maximum over instructions (an upper bound).
- Mean relative gain (MRG), in %: for model i, the mean over instructions j (and datasets)
  of (x_ij - mean_over_models x_.j) / mean_over_models x_.j; for instruction j, the mean over
  models i of (x_ij - mean_over_instructions x_i.) / mean_over_instructions x_i..
- Stability: the standard deviation of a model's scores over instructions (of an
  instruction's scores over models), averaged over datasets; lower is more stable.
- Adaptability: how often an instruction is among a model's top-K instructions, over
  datasets (per model), and the global top-K hit ratio over models and datasets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np


@dataclass(frozen=True)
class InstructionGrid:
    models: tuple[str, ...]
    instructions: tuple[str, ...]
    datasets: tuple[str, ...]
    best_performance: np.ndarray
    """(datasets x models): max over instructions."""
    model_mrg: np.ndarray
    instruction_mrg: np.ndarray
    model_stability: np.ndarray
    instruction_stability: np.ndarray
    adaptability: np.ndarray
    """(models x instructions): share of datasets where the instruction is in the model's top-K."""
    global_hit_ratio: np.ndarray
    top_k: int

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()}


def _top_k_mask(scores: np.ndarray, k: int) -> np.ndarray:
    """Over the last axis: True for the k highest (ties broken by the lower index)."""
    order = np.argsort(-scores, axis=-1, kind="stable")[..., :k]
    mask = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=-1)
    return mask


def instruction_grid(scores: np.ndarray, models: Sequence[str], instructions: Sequence[str],
                     datasets: Sequence[str] = ("task",), top_k: int = 1) -> InstructionGrid:
    """All four metrics from `scores`, (datasets x models x instructions) or (models x instructions)."""
    x = np.asarray(scores, dtype=float)
    if x.ndim == 2:
        x = x[None]
    if x.shape != (len(datasets), len(models), len(instructions)):
        raise ValueError(f"scores shape {x.shape} != datasets x models x instructions "
                         f"({len(datasets)}, {len(models)}, {len(instructions)})")
    if not 1 <= top_k <= len(instructions):
        raise ValueError(f"top_k must be in 1..{len(instructions)}")
    over_models = x.mean(axis=1, keepdims=True)
    over_instr = x.mean(axis=2, keepdims=True)
    model_mrg = (100 * (x - over_models) / over_models).mean(axis=(0, 2))
    instruction_mrg = (100 * (x - over_instr) / over_instr).mean(axis=(0, 1))
    hits = _top_k_mask(x, top_k)
    return InstructionGrid(
        models=tuple(models), instructions=tuple(instructions), datasets=tuple(datasets),
        best_performance=x.max(axis=2), model_mrg=model_mrg, instruction_mrg=instruction_mrg,
        model_stability=x.std(axis=2).mean(axis=0), instruction_stability=x.std(axis=1).mean(axis=0),
        adaptability=hits.mean(axis=0), global_hit_ratio=hits.mean(axis=(0, 1)), top_k=top_k,
    )
