"""`PerplexityScorer`: word and byte perplexity and bits per byte of whole texts, as
lm-evaluation-harness defines them for `loglikelihood_rolling` tasks.

The output is one `RollingLoglikelihoodResult` per sample (the log-likelihood of the whole
text `sample.input`, every token scored once). Per document the scorer keeps the counts:
`logprob` (nats), `n_tokens` (the model's), `n_words` (lm-eval's `count_words`:
`len(re.split(r"\\s+", text))`, so leading or trailing whitespace counts one empty word, as
there) and `n_bytes` (UTF-8). The task's metric is then a ratio of sums over documents
(lm-eval's `weighted_perplexity` and `bits_per_byte` aggregations), declared in
`ratio_metrics` and computed by the run summary with its interval:

- word_perplexity  = exp(-Σ logprob / Σ n_words)
- byte_perplexity  = exp(-Σ logprob / Σ n_bytes)
- bits_per_byte    = -Σ logprob / Σ n_bytes / ln 2
- token_perplexity = exp(-Σ logprob / Σ n_tokens) (tokenizer-dependent; not in lm-eval)

Each sample's own value of each metric (its document's perplexity) is kept in the
per-sample table too; the task's number is never their mean.
"""

from __future__ import annotations

import math
import re
from typing import Mapping, Sequence

from assay.core.aggregation import RatioAggregate, RatioTransform
from assay.core.responses import Output, RollingLoglikelihoodResult
from assay.core.sample import Sample
from assay.core.score import Score
from assay.core.task import TaskKind

_WHITESPACE = re.compile(r"\s+")

RATIOS: dict[str, RatioAggregate] = {
    "word_perplexity": RatioAggregate("logprob", "n_words", RatioTransform.EXP_NEG),
    "byte_perplexity": RatioAggregate("logprob", "n_bytes", RatioTransform.EXP_NEG),
    "bits_per_byte": RatioAggregate("logprob", "n_bytes", RatioTransform.NEG_LOG2),
    "token_perplexity": RatioAggregate("logprob", "n_tokens", RatioTransform.EXP_NEG),
}
DEFAULT_METRICS = ("word_perplexity", "byte_perplexity", "bits_per_byte", "token_perplexity")


def count_words(text: str) -> int:
    """lm-evaluation-harness's word count: pieces between whitespace runs (an empty piece
    before leading or after trailing whitespace counts)."""
    return len(_WHITESPACE.split(text))


def count_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


class PerplexityScorer:
    """Per-document counts and perplexities of a `perplexity` task's samples; the task's
    metrics are the ratios of sums in `ratio_metrics`. `metrics` picks a subset of
    word_perplexity, byte_perplexity, bits_per_byte and token_perplexity."""

    name = "perplexity"
    kinds = (TaskKind.PERPLEXITY,)
    uses_target = False

    def __init__(self, metrics: Sequence[str] | None = None) -> None:
        chosen = tuple(metrics) if metrics is not None else DEFAULT_METRICS
        unknown = [m for m in chosen if m not in RATIOS]
        if unknown or not chosen:
            raise ValueError(f"unknown perplexity metric {unknown[0] if unknown else '(none given)'!r}; "
                             f"choose from {', '.join(DEFAULT_METRICS)}")
        self.metrics: tuple[str, ...] = tuple(dict.fromkeys(chosen))
        self.ratio_metrics: Mapping[str, RatioAggregate] = {m: RATIOS[m] for m in self.metrics}

    def __call__(self, sample: Sample, output: Output) -> Score:
        if not isinstance(output, RollingLoglikelihoodResult):
            raise TypeError(f"{self.name} scores RollingLoglikelihoodResult, got {type(output).__name__} "
                            f"(sample {sample.id})")
        if not isinstance(sample.input, str):
            raise ValueError(f"sample {sample.id}: a perplexity sample's input is the text to score")
        if output.error is not None:
            return Score({m: math.nan for m in self.metrics}, None, output.error)
        counts = {"logprob": output.logprob, "n_tokens": float(output.n_tokens),
                  "n_words": float(count_words(sample.input)), "n_bytes": float(count_bytes(sample.input))}
        values = dict(counts)
        for metric in self.metrics:
            ratio = self.ratio_metrics[metric]
            den = counts[ratio.denominator]
            values[metric] = ratio.transform.apply(counts[ratio.numerator] / den) if den > 0 else math.nan
        return Score(values, None, "")
