"""Scorers with lm-eval's definitions of its metrics (lm_eval/api/task.py, api/metrics.py).

- `ChoiceScorer` (output_type multiple_choice): `acc` is the option with the highest
  log-likelihood; `acc_norm` the highest log-likelihood per *character* of the option text
  (lm-eval divides by `len(choice)`; assay's own multiple_choice scorer divides by bytes).
  Ties go to the first option, as `np.argmax` gives.
- `GreedyScorer` (output_type loglikelihood): `acc` is 1 when the target is the greedy
  continuation.
- `GenerateScorer` (generate_until): each filter pipeline's answer against the target with
  lm-eval's `exact_match` (regexes_to_ignore removed first, then ignore_case,
  ignore_punctuation, ignore_numbers; then string equality); several targets: any.
  With one filter named `none` (lm-eval's default) the metric is `exact_match`; otherwise
  each is `exact_match,<filter>`, lm-eval's own key.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass
from typing import Mapping, Sequence

from assay.core.aggregation import RatioAggregate, RatioTransform

from assay.core.responses import ChoiceOutput, Completion, Output
from assay.core.run import ScorerSpec
from assay.core.sample import Sample
from assay.core.score import Score
from assay.core.task import TaskKind
from assay.tasks.lm_eval.filters import FilterPipeline

_PUNCT = str.maketrans("", "", string.punctuation)
_DIGITS = str.maketrans("", "", string.digits)


def _argmax(values: Sequence[float]) -> int:
    return max(range(len(values)), key=values.__getitem__)


@dataclass(frozen=True)
class ChoiceScorer:
    """lm-eval's `acc` / `acc_norm` for one multiple-choice doc."""

    metrics: tuple[str, ...] = ("acc", "acc_norm")
    name: str = "lm_eval_multiple_choice"
    kinds: tuple[TaskKind, ...] = (TaskKind.MULTIPLE_CHOICE,)
    uses_target: bool = True

    @property
    def spec(self) -> ScorerSpec:
        return ScorerSpec(self.name, {"metrics": list(self.metrics)})

    def __call__(self, sample: Sample, output: Output) -> Score:
        if not isinstance(output, ChoiceOutput):
            raise TypeError(f"{self.name} scores ChoiceOutput, got {type(output).__name__} (sample {sample.id})")
        if output.error is not None:
            return Score({m: math.nan for m in self.metrics}, None, output.error)
        assert sample.choices is not None and isinstance(sample.target, int)
        lls = [r.logprob for r in output.results]
        pred = _argmax(lls)
        pred_norm = _argmax([ll / max(1, len(c)) for ll, c in zip(lls, sample.choices)])
        values = {"acc": float(pred == sample.target), "acc_norm": float(pred_norm == sample.target)}
        return Score({m: values[m] for m in self.metrics}, pred,
                     f"acc chose {pred}, acc_norm chose {pred_norm}; target {sample.target}")


# lm-eval's `perplexity` for output_type loglikelihood: exp(-mean log-likelihood) over docs,
# a ratio of sums (Σ logprob / Σ 1) summarised by the engine with its interval.
_PERPLEXITY = RatioAggregate("logprob", "n_docs", RatioTransform.EXP_NEG)


@dataclass(frozen=True)
class GreedyScorer:
    """lm-eval's metrics for output_type loglikelihood: `acc` (1 when the target is the
    greedy continuation) and `perplexity` (exp of minus the mean target log-likelihood)."""

    metrics: tuple[str, ...] = ("perplexity", "acc")
    name: str = "lm_eval_loglikelihood"
    kinds: tuple[TaskKind, ...] = (TaskKind.MULTIPLE_CHOICE,)
    uses_target: bool = True

    @property
    def spec(self) -> ScorerSpec:
        return ScorerSpec(self.name, {"metrics": list(self.metrics)})

    @property
    def ratio_metrics(self) -> Mapping[str, RatioAggregate]:
        return {"perplexity": _PERPLEXITY} if "perplexity" in self.metrics else {}

    def __call__(self, sample: Sample, output: Output) -> Score:
        if not isinstance(output, ChoiceOutput):
            raise TypeError(f"{self.name} scores ChoiceOutput, got {type(output).__name__} (sample {sample.id})")
        if output.error is not None:
            return Score({m: math.nan for m in self.metrics}, None, output.error)
        (result,) = output.results
        values = {"logprob": result.logprob, "n_docs": 1.0}
        if "perplexity" in self.metrics:
            values["perplexity"] = math.exp(-result.logprob)
        if "acc" in self.metrics:
            values["acc"] = float(result.is_greedy)
        return Score(values, result.logprob, f"log-likelihood {result.logprob:.4f}, greedy {result.is_greedy}")


@dataclass(frozen=True)
class ExactMatch:
    """lm-eval's exact_match options (HF evaluate's exact_match)."""

    ignore_case: bool = False
    ignore_punctuation: bool = False
    ignore_numbers: bool = False
    regexes_to_ignore: tuple[str, ...] = ()

    def _clean(self, text: str) -> str:
        for pattern in self.regexes_to_ignore:
            text = re.sub(pattern, "", text)
        if self.ignore_case:
            text = text.lower()
        if self.ignore_punctuation:
            text = text.translate(_PUNCT)
        if self.ignore_numbers:
            text = text.translate(_DIGITS)
        return text

    def __call__(self, prediction: str, references: Sequence[str]) -> bool:
        clean = self._clean(prediction)
        return any(clean == self._clean(ref) for ref in references)


@dataclass(frozen=True)
class GenerateScorer:
    """Each filter pipeline's answer, exact-matched against the doc's target(s)."""

    pipelines: tuple[FilterPipeline, ...]
    match: ExactMatch
    name: str = "lm_eval_exact_match"
    kinds: tuple[TaskKind, ...] = (TaskKind.GENERATE,)
    uses_target: bool = True

    @property
    def metrics(self) -> tuple[str, ...]:
        if len(self.pipelines) == 1 and self.pipelines[0].name == "none":
            return ("exact_match",)
        return tuple(f"exact_match,{p.name}" for p in self.pipelines)

    @property
    def spec(self) -> ScorerSpec:
        """The filters and exact_match options as the task file wrote them (JSON)."""
        match = {"ignore_case": self.match.ignore_case, "ignore_punctuation": self.match.ignore_punctuation,
                 "ignore_numbers": self.match.ignore_numbers, "regexes_to_ignore": list(self.match.regexes_to_ignore)}
        filters = [{"name": p.name, "filter": [dict(f) for f in p.functions]} for p in self.pipelines]
        return ScorerSpec(self.name, {"filter_list": filters, "exact_match": match})

    def __call__(self, sample: Sample, output: Output) -> Score:
        if not isinstance(output, Completion):
            raise TypeError(f"{self.name} scores Completion, got {type(output).__name__} (sample {sample.id})")
        if output.error is not None:
            return Score({m: math.nan for m in self.metrics}, None, output.error)
        target = sample.target
        references = [str(t) for t in target] if isinstance(target, tuple) else [str(target)]
        answers = [p(list(output.texts)) for p in self.pipelines]
        values = {m: float(self.match(a, references)) for m, a in zip(self.metrics, answers)}
        extracted = answers[0] if len(answers) == 1 else dict(zip(self.metrics, answers))
        return Score(values, extracted, f"answer {answers[0]!r}; target {references[0]!r}")
