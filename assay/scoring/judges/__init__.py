"""LLM judges as scorers: a judged task answers each sample, then asks one or more judge
models (further cached steps of the sample) for a rating or a pairwise verdict."""

from assay.scoring.judges.config import Aggregate, JudgeConfig, JudgeMode
from assay.scoring.judges.jury import JuryAgreement, fleiss, jury_agreement
from assay.scoring.judges.lazy import LazyModel
from assay.scoring.judges.scorer import JudgeScorer
from assay.scoring.judges.solver import JudgedCompletion, judge_solver
from assay.scoring.judges.task import judged_task
from assay.scoring.judges.templates import PAIRWISE, POINTWISE, render_judge_prompt
from assay.scoring.judges.verdicts import UnreadableVerdict, parse_pairwise, parse_rating, parse_skill_ratings

__all__ = ["Aggregate", "JudgeConfig", "JudgeMode", "JudgeScorer", "JudgedCompletion", "JuryAgreement", "LazyModel",
           "PAIRWISE", "POINTWISE", "UnreadableVerdict", "fleiss", "judge_solver", "judged_task", "jury_agreement",
           "parse_pairwise", "parse_rating", "parse_skill_ratings", "render_judge_prompt"]
