"""Scorers only catalog tasks use: lm-eval's regex answer filters with its exact match,
LAMBADA's last-word accuracy and perplexity, WikiText's perplexities over the original page's
counts, and TruthfulQA generation's true-versus-false reference contrast."""

from __future__ import annotations

import math
import re
import string
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

from assay.core.aggregation import RatioAggregate, RatioTransform
from assay.core.responses import ChoiceOutput, Completion, Output, RollingLoglikelihoodResult
from assay.core.sample import Sample
from assay.core.score import Score
from assay.core.task import TaskKind

INVALID = "[invalid]"
"""What lm-eval's regex filter gives when nothing matches (never equal to a reference)."""


@dataclass(frozen=True)
class AnswerFilter:
    """lm-eval's `regex` filter then `take_first`: the `group_select`-th match of `pattern` (its
    first non-empty group when it has groups), stripped; None means the whole response."""

    name: str
    pattern: str | None = None
    group_select: int = 0
    mapping: tuple[tuple[str, str], ...] = ()
    """lm-eval BBH's `MapRegexFilter` (case ignored): the first match of all the patterns
    joined by "|", then the value of the first pattern that matches within it."""

    def extract(self, text: str) -> str:
        if self.mapping:
            whole = AnswerFilter(self.name, "|".join(p for p, _ in self.mapping), self.group_select).extract(text.lower())
            if whole == INVALID:
                return INVALID
            return next((value for p, value in self.mapping if re.findall(p, whole)), INVALID)
        if self.pattern is None:
            return text
        found = re.findall(self.pattern, text)
        if not found:
            return INVALID
        match = found[self.group_select]
        if isinstance(match, tuple):
            match = next((m for m in match if m), INVALID)
        return match.strip()


def _normalise(text: str, ignore: Sequence[str], ignore_case: bool, ignore_punctuation: bool) -> str:
    # lm-eval's exact_match: the regexes first, then case, then punctuation.
    for pattern in ignore:
        text = re.sub(pattern, "", text)
    if ignore_case:
        text = text.lower()
    if ignore_punctuation:
        text = text.translate(str.maketrans("", "", string.punctuation))
    return text


class FilteredExactMatch:
    """`exact_match_<filter>` for each filter: the filtered response equals the target after
    lm-eval's exact-match options (`regexes_to_ignore`, `ignore_case`, `ignore_punctuation`),
    applied to both sides."""

    name = "filtered_exact_match"
    kinds = (TaskKind.GENERATE,)
    uses_target = True

    def __init__(self, filters: Sequence[AnswerFilter | Mapping[str, Any]], regexes_to_ignore: Sequence[str] = (),
                 ignore_case: bool = False, ignore_punctuation: bool = False) -> None:
        self._filters = tuple(f if isinstance(f, AnswerFilter) else AnswerFilter(**f) for f in filters)
        # kept as JSON values too: a run records its scorers' parameters
        self.filters = [asdict(f) for f in self._filters]
        self.regexes_to_ignore = tuple(regexes_to_ignore)
        self.ignore_case = ignore_case
        self.ignore_punctuation = ignore_punctuation
        self.metrics = tuple(f"exact_match_{f.name}" for f in self._filters)

    def __call__(self, sample: Sample, output: Output) -> Score:
        if not isinstance(output, Completion):
            raise TypeError(f"{self.name} scores a Completion, got {type(output).__name__} (sample {sample.id})")
        if output.error is not None:
            return Score({m: math.nan for m in self.metrics}, None, output.error)
        norm = lambda t: _normalise(t, self.regexes_to_ignore, self.ignore_case, self.ignore_punctuation)  # noqa: E731
        reference = norm(str(sample.target))
        values, extracted = {}, {}
        for f, metric in zip(self._filters, self.metrics):
            answer = f.extract(output.text)
            extracted[f.name] = answer
            values[metric] = float(norm(answer) == reference)
        return Score(values, extracted=extracted, explanation=", ".join(f"{k}: {v!r}" for k, v in extracted.items()))


_MEAN_PERPLEXITY = RatioAggregate("logprob", "n_docs", RatioTransform.EXP_NEG)


class LastWordScorer:
    """LAMBADA: `acc` is 1 when greedy decoding would produce the last word (lm-eval's
    `is_greedy`); `perplexity` is exp of minus the mean of the last words' log-likelihoods
    over the task (lm-eval's), a ratio of sums the run summary computes with its interval
    (each sample keeps `logprob` and `n_docs` = 1, and its own exp(-logprob))."""

    name = "last_word"
    metrics = ("perplexity", "acc")
    ratio_metrics: Mapping[str, RatioAggregate] = {"perplexity": _MEAN_PERPLEXITY}
    kinds = (TaskKind.MULTIPLE_CHOICE,)
    uses_target = True

    def __call__(self, sample: Sample, output: Output) -> Score:
        if not isinstance(output, ChoiceOutput) or len(output.results) != 1:
            raise TypeError(f"{self.name} scores one log-likelihood (sample {sample.id})")
        if output.error is not None:
            return Score({m: math.nan for m in self.metrics}, None, output.error)
        (result,) = output.results
        values = {"logprob": result.logprob, "n_docs": 1.0, "perplexity": math.exp(-result.logprob),
                  "acc": float(result.is_greedy)}
        return Score(values, extracted=result.is_greedy)


class OriginalCountsPerplexity:
    """WikiText: word and byte perplexity and bits per byte, with words and bytes counted on
    the page before detokenizing (`metadata["words"]`, `metadata["bytes"]`), as lm-eval's
    `wikitext` does, while the detokenized text is what the model scores."""

    name = "perplexity_original_counts"
    metrics = ("word_perplexity", "byte_perplexity", "bits_per_byte")
    kinds = (TaskKind.PERPLEXITY,)
    uses_target = False

    def __init__(self) -> None:
        from assay.scoring.perplexity import RATIOS

        self.ratio_metrics: Mapping[str, RatioAggregate] = {m: RATIOS[m] for m in self.metrics}

    def __call__(self, sample: Sample, output: Output) -> Score:
        if not isinstance(output, RollingLoglikelihoodResult):
            raise TypeError(f"{self.name} scores a rolling log-likelihood (sample {sample.id})")
        if output.error is not None:
            return Score({m: math.nan for m in self.metrics}, None, output.error)
        counts = {"logprob": output.logprob, "n_words": float(sample.metadata["words"]),
                  "n_bytes": float(sample.metadata["bytes"])}
        values = dict(counts)
        for metric, ratio in self.ratio_metrics.items():
            values[metric] = ratio.transform.apply(counts[ratio.numerator] / counts[ratio.denominator])
        return Score(values, None, "")


def _f1(a: str, b: str) -> float:
    from assay.scoring.normalize import normalize_answer

    left, right = normalize_answer(a).split(), normalize_answer(b).split()
    if not left or not right:
        return float(left == right)
    common = sum(min(left.count(w), right.count(w)) for w in set(left))
    if common == 0:
        return 0.0
    precision, recall = common / len(left), common / len(right)
    return 2 * precision * recall / (precision + recall)


class ReferenceContrast:
    """TruthfulQA generation: the answer's best token F1 against the true references and
    against the false ones. `f1_max` is the best true F1, `f1_acc` 1 when it beats the best
    false one. lm-eval compares with BLEU and ROUGE the same ways (and reports their
    difference too); assay has neither metric, so these numbers are not lm-eval's."""

    name = "reference_contrast"
    metrics = ("f1_max", "f1_acc")
    kinds = (TaskKind.GENERATE,)
    uses_target = True

    def __call__(self, sample: Sample, output: Output) -> Score:
        if not isinstance(output, Completion):
            raise TypeError(f"{self.name} scores a Completion (sample {sample.id})")
        if output.error is not None:
            return Score({m: math.nan for m in self.metrics}, None, output.error)
        true_refs = list(sample.metadata.get("correct_answers", ()))
        false_refs = list(sample.metadata.get("incorrect_answers", ()))
        if not true_refs or not false_refs:
            raise ValueError(f"sample {sample.id}: needs metadata correct_answers and incorrect_answers")
        best_true = max(_f1(output.text, r) for r in true_refs)
        best_false = max(_f1(output.text, r) for r in false_refs)
        return Score({"f1_max": best_true, "f1_acc": float(best_true > best_false)}, extracted=output.text.strip(),
                     explanation=f"best F1 with a true reference {best_true:.2f}, with a false one {best_false:.2f}")
