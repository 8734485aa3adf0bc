"""`JudgeScorer`: turns the judges' verdicts (kept on the output by the judge solver) into a
sample's scores.

Pointwise: `judge_score` is the rating mapped to 0..1 ((r − 1)/(scale − 1)), so it averages
and compares across scales; `judge_rating` keeps the raw rating; each FLASK skill gets
`skill_<name>` on the same 0..1 map. Pairwise: `win_rate` is the answer's score against the
baseline (1 win, ½ tie, 0 loss) averaged over both orders, and `order_consistent` says
whether the two orders agreed. A jury aggregates by mean or majority; `jury_unanimous` says
whether every judge gave the same verdict (Fleiss κ across the task: `jury_agreement`).
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any, Sequence

from assay.core.responses import Output
from assay.core.sample import Sample
from assay.core.score import Score
from assay.scoring.judges.config import Aggregate, JudgeConfig, JudgeMode

_POINTS = {"win": 1.0, "tie": 0.5, "loss": 0.0}


def _majority(values: Sequence[float]) -> float:
    counts = Counter(values).most_common()
    top = [v for v, c in counts if c == counts[0][1]]
    return float(top[0]) if len(top) == 1 else float(statistics.median(values))


def pair_score(verdict: dict[str, str]) -> float:
    """One judge's pairwise score for the answer under test, over both orders."""
    return (_POINTS[verdict["as_first"]] + _POINTS[verdict["as_second"]]) / 2


class JudgeScorer:
    """Reads `JudgedCompletion.judgement`; the metrics depend on the judging mode."""

    name = "judge"

    def __init__(self, config: JudgeConfig) -> None:
        self.mode = config.mode
        self.scale = config.scale
        self.skills = tuple(config.skills)
        self.aggregate = config.aggregate
        self.n_judges = len(config.judges)
        if self.mode is JudgeMode.PAIRWISE:
            metrics = ["win_rate", "order_consistent"]
        else:
            metrics = ["judge_score", "judge_rating"] + [f"skill_{s}" for s in self.skills]
        if self.n_judges > 1:
            metrics.append("jury_unanimous")
        self.metrics = tuple(metrics)

    def _combine(self, values: Sequence[float]) -> float:
        return _majority(values) if self.aggregate is Aggregate.MAJORITY else sum(values) / len(values)

    def __call__(self, sample: Sample, output: Output) -> Score:
        judgement: dict[str, Any] = dict(getattr(output, "judgement", {}) or {})
        verdicts: dict[str, Any] = judgement.get("judges", {})
        if not verdicts:
            raise ValueError("the output carries no judge verdicts: a judged task needs the judge solver")
        values: dict[str, float] = {}
        if self.mode is JudgeMode.PAIRWISE:
            per_judge = [pair_score(v) for v in verdicts.values()]
            if self.aggregate is Aggregate.MAJORITY:  # each judge's side, then the majority side
                per_judge = [1.0 if s > 0.5 else 0.0 if s < 0.5 else 0.5 for s in per_judge]
            values["win_rate"] = self._combine(per_judge)
            values["order_consistent"] = sum(v["as_first"] == v["as_second"] for v in verdicts.values()) / len(verdicts)
            explanation = "; ".join(f"{j}: {v['as_first']} as A, {v['as_second']} as B" for j, v in verdicts.items())
        else:
            ratings = [float(v["rating"]) for v in verdicts.values()]
            rating = self._combine(ratings)
            values["judge_rating"] = rating
            values["judge_score"] = (rating - 1) / (self.scale - 1)
            for skill in self.skills:
                skill_rating = self._combine([float(v["skills"][skill]) for v in verdicts.values()])
                values[f"skill_{skill}"] = (skill_rating - 1) / (self.scale - 1)
            per_judge = ratings
            explanation = "; ".join(f"{j}: {v['rating']:g}/{self.scale}" for j, v in verdicts.items())
        if self.n_judges > 1:
            values["jury_unanimous"] = float(len(set(per_judge)) == 1)
        # The whole judgement is what the record keeps as `extracted`: every judge's verdict
        # (both orders), for jury agreement and audits of a saved run.
        return Score(values, extracted=judgement, explanation=explanation)
