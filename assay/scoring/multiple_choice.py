"""`MultipleChoiceScorer`: accuracy over option log-likelihoods, raw and length-normalised.

The output holds one `LoglikelihoodResult` per option, in `Sample.choices` order; the
sample's target is the right option's index.

- `acc`: the option with the highest summed log-probability is the target.
- `acc_norm`: the option with the highest log-probability *per UTF-8 byte of the option
  text* is the target. The engine scores the continuation " " + text (the answer lead plus
  the option); we divide by the byte length of the option text alone, without that lead,
  which is lm-evaluation-harness's `acc_norm` (it divides by `len(choice)`; for ASCII text
  characters and bytes agree). Bytes rather than tokens keep the number independent of the
  tokenizer, so it compares across models. An empty option counts as one byte.

Ties go to the lowest index (the first option listed), for both metrics, so a model that
gives every option the same score is right exactly when the target is option A.
"""

from __future__ import annotations

import math
from typing import Sequence

from assay.core.responses import ChoiceOutput, Output
from assay.core.sample import Sample
from assay.core.score import Score
from assay.core.task import TaskKind


def _letter(index: int) -> str:
    return chr(65 + index) if index < 26 else str(index)


def _argmax(values: Sequence[float]) -> int:
    # `max` keeps the first of equal maxima: ties go to the lowest index.
    return max(range(len(values)), key=values.__getitem__)


class MultipleChoiceScorer:
    """`acc` and `acc_norm` of one multiple-choice sample; `extracted` is the index `acc` chose."""

    name = "multiple_choice"
    metrics = ("acc", "acc_norm")
    kinds = (TaskKind.MULTIPLE_CHOICE,)
    uses_target = True

    def __call__(self, sample: Sample, output: Output) -> Score:
        if not isinstance(output, ChoiceOutput):
            raise TypeError(f"{self.name} scores ChoiceOutput, got {type(output).__name__} (sample {sample.id})")
        failed = {m: math.nan for m in self.metrics}
        if output.error is not None:
            return Score(failed, None, output.error)
        choices = sample.choices
        if choices is None or not isinstance(sample.target, int) or isinstance(sample.target, bool):
            raise ValueError(f"sample {sample.id}: multiple choice needs choices and an integer target")
        if len(output.results) != len(choices):
            raise ValueError(
                f"sample {sample.id}: {len(output.results)} log-likelihoods for {len(choices)} choices"
            )
        logprobs = [r.logprob for r in output.results]
        if any(math.isnan(lp) or lp == math.inf for lp in logprobs):
            return Score(failed, None, f"invalid log-likelihoods {logprobs}")
        per_byte = [lp / max(1, len(c.encode("utf-8"))) for lp, c in zip(logprobs, choices)]
        chosen, chosen_norm = _argmax(logprobs), _argmax(per_byte)
        target = sample.target
        return Score(
            values={"acc": float(chosen == target), "acc_norm": float(chosen_norm == target)},
            extracted=chosen,
            explanation=(
                f"acc chose {_letter(chosen)}, acc_norm chose {_letter(chosen_norm)}; "
                f"target {_letter(target)}"
            ),
        )
