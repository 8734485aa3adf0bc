"""`TokenF1`: SQuAD's token-overlap F1 between the answer span and the best acceptable answer.

Tokens are the words of `normalize_answer`; overlap counts repeated words with
multiplicity (a bag of words). precision = overlap / answer tokens, recall = overlap /
target tokens, F1 their harmonic mean; when either side has no tokens, F1 is 1 if both are
empty and 0 otherwise (SQuAD v2's convention).
"""

from __future__ import annotations

import math
from collections import Counter

from assay.core.responses import Output
from assay.core.sample import Sample
from assay.core.score import Score
from assay.core.task import TaskKind
from assay.scoring.match import acceptable_answers, completion_text
from assay.scoring.normalize import answer_span, answer_tokens


def token_f1(prediction: str, target: str) -> float:
    """SQuAD token F1 of two texts (each normalised first)."""
    pred, gold = answer_tokens(prediction), answer_tokens(target)
    if not pred or not gold:
        return float(pred == gold)
    overlap = sum((Counter(pred) & Counter(gold)).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred), overlap / len(gold)
    return 2 * precision * recall / (precision + recall)


class TokenF1:
    """`f1`: the best token F1 of the answer span against any acceptable answer."""

    name = "f1"
    metrics = ("f1",)
    kinds = (TaskKind.GENERATE,)
    uses_target = True

    def __call__(self, sample: Sample, output: Output) -> Score:
        text = completion_text(self.name, sample, output)
        if output.error is not None:
            return Score({"f1": math.nan}, None, output.error)
        span = answer_span(text)
        best = max(token_f1(span, answer) for answer in acceptable_answers(sample))
        return Score({"f1": best}, span)
