"""Corpus-level metrics: a value computed from sums over a task's samples, not a mean of them.

Perplexity is the standard case: lm-evaluation-harness's word perplexity of a corpus is
exp(-Σ logprob / Σ words) over its documents (its `weighted_perplexity`), which weights each
document by its length; the mean of per-document perplexities is another, larger number. A
scorer declares such metrics in `ratio_metrics` (metric name -> `RatioAggregate`), keeps the
numerator and denominator of each sample in its `Score.values`, and the engine's summary
computes the metric and its interval from the ratio of sums (`assay.stats.ratio`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum


class RatioTransform(str, Enum):
    """What the metric is, as a function of R = Σ numerator / Σ denominator.

    `identity`: R. `exp_neg` (perplexity): exp(-R). `neg_log2` (bits per byte): -R / ln 2.
    """

    IDENTITY = "identity"
    EXP_NEG = "exp_neg"
    NEG_LOG2 = "neg_log2"

    def apply(self, ratio: float) -> float:
        if self is RatioTransform.EXP_NEG:
            return math.exp(-ratio) if ratio > -700 else math.inf
        if self is RatioTransform.NEG_LOG2:
            return -ratio / math.log(2.0)
        return ratio

    def slope(self, ratio: float) -> float:
        """d metric / d R at `ratio` (for the delta method's stderr)."""
        if self is RatioTransform.EXP_NEG:
            return -self.apply(ratio)
        if self is RatioTransform.NEG_LOG2:
            return -1.0 / math.log(2.0)
        return 1.0


@dataclass(frozen=True)
class RatioAggregate:
    """A corpus-level metric: `transform(Σ values[numerator] / Σ values[denominator])` over the
    samples that did not fail, e.g. word perplexity = exp_neg(Σ logprob / Σ words)."""

    numerator: str
    denominator: str
    transform: RatioTransform = RatioTransform.IDENTITY
