"""Scorers: from a sample and a model's output to a `Score` (re-exports only)."""

from assay.scoring.f1 import TokenF1, token_f1
from assay.scoring.match import ExactMatch, RegexMatch, acceptable_answers
from assay.scoring.multiple_choice import MultipleChoiceScorer
from assay.scoring.normalize import answer_span, normalize_answer
from assay.scoring.numeric import NumberMatch, extract_number
from assay.scoring.registry import register_scorer, scorer_from_name, scorer_names

__all__ = [
    "ExactMatch", "MultipleChoiceScorer", "NumberMatch", "RegexMatch", "TokenF1",
    "acceptable_answers", "answer_span", "extract_number", "normalize_answer",
    "register_scorer", "scorer_from_name", "scorer_names", "token_f1",
]
