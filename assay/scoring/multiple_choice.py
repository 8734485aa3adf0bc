"""`MultipleChoiceScorer`: accuracy over option log-likelihoods, raw, length-normalised and calibrated.

The output holds one `LoglikelihoodResult` per option, in `Sample.choices` order (and, for a
calibrated task, one more per option after the neutral context, in the same order); the
sample's target is the right option's index.

- `acc`: the option with the highest summed log-probability is the target.
- `acc_norm`: the option with the highest log-probability per unit of length is the target.
  The unit is explicit (`NormUnit`): `chars` is lm-evaluation-harness's `acc_norm` (it
  divides by `len(choice)`, the option text without the leading space), `bytes` its
  `acc_bytes` (UTF-8 bytes; tokenizer-free, so it compares across models: assay's default),
  `tokens` the continuation's token count. For ASCII text chars and bytes agree. The
  length is that of what was scored: the option text, or its letter when the letters are
  the continuations. An empty option counts as one.
- `acc_mutual_info` (calibrated tasks): the option with the highest log P(option | prompt) -
  log P(option | neutral context) is the target; lm-eval's metric of that name.

Ties go to the lowest index (the first option listed), for every metric, so a model that
gives every option the same score is right exactly when the target is option A.
"""

from __future__ import annotations

import math
from typing import Sequence

from assay.core.format import OptionEnumerator
from assay.core.responses import ChoiceOutput, LoglikelihoodResult, Output
from assay.core.sample import Sample
from assay.core.score import Score
from assay.core.task import ChoiceScoring, Continuation, NormUnit, TaskKind


def _letter(index: int) -> str:
    return chr(65 + index) if index < 26 else str(index)


def _argmax(values: Sequence[float]) -> int:
    # `max` keeps the first of equal maxima: ties go to the lowest index.
    return max(range(len(values)), key=values.__getitem__)


def _length(unit: NormUnit, scored: str, result: LoglikelihoodResult) -> int:
    if unit is NormUnit.TOKENS:
        return max(1, result.n_tokens)
    if unit is NormUnit.CHARS:
        return max(1, len(scored))
    return max(1, len(scored.encode("utf-8")))


class MultipleChoiceScorer:
    """`acc` and `acc_norm` (and `acc_mutual_info` when calibrated) of one multiple-choice
    sample; `extracted` is the index `acc` chose.

    `norm`: the unit of `acc_norm`; `continuation`: what each option was scored as (its
    text, or its letter); `calibrated`: the output also holds each option's log-likelihood
    after the neutral context. Build it from a task's `ChoiceScoring` with `for_task`.
    """

    name = "multiple_choice"
    kinds = (TaskKind.MULTIPLE_CHOICE,)
    uses_target = True

    def __init__(self, norm: NormUnit | str = NormUnit.BYTES, continuation: Continuation | str = Continuation.TEXT,
                 calibrated: bool = False) -> None:
        self.norm = NormUnit(norm)
        self.continuation = Continuation(continuation)
        self.calibrated = bool(calibrated)
        self.metrics: tuple[str, ...] = ("acc", "acc_norm") + (("acc_mutual_info",) if self.calibrated else ())

    @classmethod
    def for_task(cls, options: ChoiceScoring) -> "MultipleChoiceScorer":
        return cls(norm=options.norm, continuation=options.continuation, calibrated=options.calibrate)

    def _scored_text(self, choices: Sequence[str]) -> list[str]:
        if self.continuation is Continuation.LETTER:
            return [OptionEnumerator.LETTER_DOT.key(i) for i in range(len(choices))]
        if self.continuation is Continuation.BLANK:  # every option scores the same text
            return ["_"] * len(choices)
        return list(choices)

    def __call__(self, sample: Sample, output: Output) -> Score:
        if not isinstance(output, ChoiceOutput):
            raise TypeError(f"{self.name} scores ChoiceOutput, got {type(output).__name__} (sample {sample.id})")
        failed = {m: math.nan for m in self.metrics}
        if output.error is not None:
            return Score(failed, None, output.error)
        choices = sample.choices
        if choices is None or not isinstance(sample.target, int) or isinstance(sample.target, bool):
            raise ValueError(f"sample {sample.id}: multiple choice needs choices and an integer target")
        expected = len(choices) * (2 if self.calibrated else 1)
        if len(output.results) != expected:
            raise ValueError(
                f"sample {sample.id}: {len(output.results)} log-likelihoods for {len(choices)} choices"
                + (" (calibrated: two per choice)" if self.calibrated else "")
            )
        results = output.results[: len(choices)]
        logprobs = [r.logprob for r in output.results]
        if any(math.isnan(lp) or lp == math.inf for lp in logprobs):
            return Score(failed, None, f"invalid log-likelihoods {logprobs}")
        conditional = logprobs[: len(choices)]
        scored = self._scored_text(choices)
        normed = [lp / _length(self.norm, text, r) for lp, text, r in zip(conditional, scored, results)]
        chosen, chosen_norm = _argmax(conditional), _argmax(normed)
        target = sample.target
        values = {"acc": float(chosen == target), "acc_norm": float(chosen_norm == target)}
        explanation = f"acc chose {_letter(chosen)}, acc_norm chose {_letter(chosen_norm)}"
        if self.calibrated:
            neutral = logprobs[len(choices):]
            chosen_mi = _argmax([c - u for c, u in zip(conditional, neutral)])
            values["acc_mutual_info"] = float(chosen_mi == target)
            explanation += f", acc_mutual_info chose {_letter(chosen_mi)}"
        return Score(values=values, extracted=chosen, explanation=f"{explanation}; target {_letter(target)}")


class TrueProbabilityMass:
    """`mc2`: the probability mass the model puts on the true options, after normalising the
    options' probabilities to sum to one (TruthfulQA MC2, as lm-eval's `process_results_mc2`).

    Which options are true comes from `sample.metadata["labels"]` (1 true, 0 false, in
    `choices` order); `sample.target` is the index of a true option (for few-shot display).
    """

    name = "true_probability_mass"
    metrics = ("mc2",)
    kinds = (TaskKind.MULTIPLE_CHOICE,)
    uses_target = False

    def __call__(self, sample: Sample, output: Output) -> Score:
        if not isinstance(output, ChoiceOutput):
            raise TypeError(f"{self.name} scores ChoiceOutput, got {type(output).__name__} (sample {sample.id})")
        if output.error is not None:
            return Score({"mc2": math.nan}, None, output.error)
        labels = sample.metadata.get("labels")
        if not isinstance(labels, (list, tuple)) or len(labels) != len(output.results):
            raise ValueError(f"sample {sample.id}: mc2 needs metadata['labels'], one per option")
        logprobs = [r.logprob for r in output.results]
        top = max(logprobs)
        weights = [math.exp(lp - top) for lp in logprobs]  # shifted: exp of very negative sums underflows
        mass = sum(w for w, label in zip(weights, labels) if int(label) == 1) / sum(weights)
        return Score({"mc2": mass}, extracted=_argmax(logprobs), explanation=f"mass on true options {mass:.3f}")
