"""Skill diagnosis from runs (issue 13): Q-matrix from `skills` metadata, DINA mastery with
intervals, and the weakest-link table, on runs whose records carry a planted weakness.

The runs are built as data (records with skills and scores): the analysis reads runs, and a
planted skill gap is the only way to know the right answer."""

from __future__ import annotations

import itertools

import numpy as np

from assay.analyses.diagnose import diagnose_runs, weakest_link
from assay.core.results import SampleRecord
from assay.core.run import Run, TaskResult
from assay.core.results import MetricSummary

SKILLS = ["addition", "carrying", "multiplication"]


def _run(model: str, lacks: set[str], seed: int) -> Run:
    rng = np.random.default_rng(seed)
    combos = [c for k in (1, 2) for c in itertools.combinations(SKILLS, k)]
    records = []
    for i in range(120):
        skills = list(combos[i % len(combos)])
        masters = not (set(skills) & lacks)
        correct = rng.random() < (0.9 if masters else 0.15)
        records.append(SampleRecord(run_id=model, task="arith", task_version="1", model=model, format="",
                                    sample_id=f"q{i}", prompt="", response="", extracted=None, target=None,
                                    scores={"acc": float(correct)}, tokens_in=0, tokens_out=0, latency_s=0.0,
                                    cached=False, metadata={"skills": skills}))
    acc = MetricSummary("acc", float(np.mean([r.scores["acc"] for r in records])), 120, 0.0, 0.0, 1.0, "wilson")
    return Run(run_id=model, model=model, tasks={"arith": TaskResult(name="arith", metrics={"acc": acc})},
               samples=records)


def test_dina_finds_the_planted_skill_gaps() -> None:
    runs = [_run("strong", set(), 1), _run("no-carry", {"carrying"}, 2), _run("no-mult", {"multiplication"}, 3)]
    diag = diagnose_runs(runs, n_boot=50)
    assert diag.skills == SKILLS
    m = {(x.row, x.skill): x for x in diag.mastery}
    assert m[("no-carry", "carrying")].mastery < 0.2 and m[("no-carry", "addition")].mastery > 0.8
    assert m[("no-mult", "multiplication")].mastery < 0.2 and m[("strong", "multiplication")].mastery > 0.8
    for x in diag.mastery:
        assert 0 <= x.low <= x.mastery + 1e-9 and x.mastery <= x.high + 1e-9 <= 1 + 1e-9


def test_weakest_link_sees_a_combination_held_back_by_its_weak_skill() -> None:
    runs = [_run("no-carry", {"carrying"}, 2)]
    diag = diagnose_runs(runs, n_boot=20)
    pair = next(c for c in diag.cross if c.skills == ("addition", "carrying"))
    assert pair.components["carrying"] < 0.4 < pair.components["addition"]
    assert pair.verdict in ("below the weakest component", "closer to the weaker component")
    assert pair.ci_low <= pair.accuracy <= pair.ci_high
