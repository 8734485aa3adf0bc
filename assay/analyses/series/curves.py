"""Ability curves, neighbour tests, the stability gap and signal quality of stored series.

The runs of a series (`load_series_runs`) become, per task, a matrix of per-item scores
(checkpoints x items, on the items every checkpoint answered) and, per skill (the items'
`skills`), the sub-matrix of the items that exercise it; the statistics are
`assay.stats.series`. A task's *formulation* is how a multiple-choice question is asked:
`cloze` (options not shown) or `listed` (options listed in the prompt).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from assay.analyses.series.runner import SeriesEntry, SeriesManifest
from assay.core.run import Run
from assay.stats.series import (CurvePoint, NeighbourTest, SignalQuality, StabilityGap, ability_curve,
                                neighbour_tests, signal_quality, stability_gap)


@dataclass
class TaskMatrix:
    """One task over a series: per-item scores (checkpoints x items) and, for log-likelihood
    multiple choice, each item's probability of the correct option (`p_correct`, softmax over
    the options: the expected accuracy when sampling an option) and of generating the correct
    option's text (`pass_prob`, exp of its log-likelihood: what PassUntil estimates by
    sampling, here exact)."""

    task: str
    formulation: str
    steps: list[int]
    tokens: list[float | None]
    item_ids: list[str]
    scores: np.ndarray
    chance: float
    skills: dict[str, list[int]] = field(default_factory=dict)
    p_correct: np.ndarray | None = None
    pass_prob: np.ndarray | None = None
    metric: str = "acc"

    def base_task(self) -> str:
        return self.task.split("@")[0]


def formulation_of(task: str, version: str) -> str:
    """'cloze' or 'listed' from a `TASK@cloze` / `TASK@listed` name, else from the version
    (built-in multiple-choice suites end theirs in -cloze); 'generate' for other tasks."""
    if "@" in task and task.rsplit("@", 1)[1] in ("cloze", "listed"):
        return task.rsplit("@", 1)[1]
    return "cloze" if "-cloze" in version else "listed"


P_CORRECT = "p_correct"
"""The metric name for the probability of the correct option (softmax over the options'
log-likelihoods): a continuous score that moves before accuracy does (E2LM's point that
continuous metrics give earlier signal)."""


LOG_PASS = "log_pass"
"""The metric name for the log-probability of generating the correct option's text: the log
of the pass rate PassUntil estimates (Hu et al. 2024), exact for log-likelihood items. It
follows the model's fit to the task's domain even while accuracy sits at chance; its
"chance" is the untrained (step-0) checkpoint's level."""

_DERIVED = (P_CORRECT, LOG_PASS)


def _item_values(run: Run, task: str, metric: str | None) -> tuple[str, dict[str, Any]]:
    name = (None if metric in _DERIVED else metric) or run.primary_metric(task) or "acc"
    return name, {r.sample_id: r for r in run.rows(task) if not r.error}


def task_matrices(pairs: Sequence[tuple[SeriesEntry, Run]], metric: str | None = None) -> dict[str, TaskMatrix]:
    """Per task, the matrix over the checkpoints of `pairs` (step order), on the items that
    every checkpoint answered."""
    if not pairs:
        return {}
    tasks = [t for t in pairs[0][1].tasks if all(t in r.tasks for _, r in pairs)]
    out: dict[str, TaskMatrix] = {}
    for task in tasks:
        per = [_item_values(run, task, metric) for _, run in pairs]
        name = per[0][0]
        common = [i for i in per[0][1] if all(i in rows for _, rows in per)]
        if not common:
            continue
        scores = np.array([[float(rows[i].scores.get(name, math.nan)) for i in common] for _, rows in per])
        if np.isnan(scores).any():
            continue
        first = per[-1][1]
        recs = [first[i] for i in common]
        mc = all(isinstance(r.response, list) and r.response and isinstance(r.target, int) for r in recs)
        chance = float(np.mean([1.0 / len(r.response) for r in recs])) if mc else 0.0
        skills: dict[str, list[int]] = {}
        for j, r in enumerate(recs):
            for s in (r.metadata or {}).get("skills") or []:
                skills.setdefault(str(s), []).append(j)
        p_correct = pass_prob = None
        if mc:
            lls = [[np.asarray(rows[i].response, float) for i in common] for _, rows in per]
            targets = [int(first[i].target) for i in common]
            p_correct = np.array([[float(np.exp(ll[t] - np.logaddexp.reduce(ll))) for ll, t in zip(row, targets)]
                                  for row in lls])
            pass_prob = np.array([[float(np.exp(ll[t])) for ll, t in zip(row, targets)] for row in lls])
        if metric in _DERIVED:
            if p_correct is None or pass_prob is None:
                continue  # a generated-answer task has no option probabilities
            scores, name = (p_correct, P_CORRECT) if metric == P_CORRECT else (np.log(np.maximum(pass_prob, 1e-300)),
                                                                              LOG_PASS)
            if metric == LOG_PASS:
                chance = float(scores[0].mean()) if pairs[0][0].step == 0 else -math.inf
        version = pairs[0][1].tasks[task].version
        out[task] = TaskMatrix(task, formulation_of(task, str(version)) if mc else "generate",
                               [e.step for e, _ in pairs], [e.tokens for e, _ in pairs], common, scores, chance,
                               skills, p_correct, pass_prob, name)
    return out


@dataclass(frozen=True)
class Curve:
    """A task's (or a task's skill's) curve with the neighbour tests along it."""

    task: str
    skill: str | None
    n_items: int
    chance: float
    points: list[CurvePoint]
    neighbours: list[NeighbourTest]
    metric: str = "acc"

    @property
    def proportion(self) -> bool:
        """Whether the score is a share in [0, 1] (printed as a percentage)."""
        return self.metric != LOG_PASS

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "skill": self.skill, "metric": self.metric, "n_items": self.n_items,
                "chance": self.chance,
                "points": [p.to_dict() for p in self.points], "neighbours": [n.to_dict() for n in self.neighbours]}


@dataclass(frozen=True)
class SeriesCurves:
    """Everything `assay series show` prints for one series."""

    manifest: SeriesManifest
    tasks: list[Curve]
    skills: list[Curve]
    gaps: dict[str, StabilityGap]

    def to_dict(self) -> dict[str, Any]:
        return {"series": self.manifest.to_dict(), "tasks": [c.to_dict() for c in self.tasks],
                "skills": [c.to_dict() for c in self.skills],
                "stability_gaps": {t: g.to_dict() for t, g in self.gaps.items()}}


def series_curves(manifest: SeriesManifest, pairs: Sequence[tuple[SeriesEntry, Run]], *, confidence: float = 0.95,
                  min_skill_items: int = 5, n_boot: int = 1000, metric: str | None = None) -> SeriesCurves:
    """Per-task and per-skill curves with pointwise intervals and neighbour tests, and the
    stability gap of each task when the series marks a shift."""
    mats = task_matrices(pairs, metric)
    tasks, skills, gaps = [], [], {}
    for name, m in mats.items():
        tasks.append(Curve(name, None, len(m.item_ids), m.chance, ability_curve(m.scores, m.steps, confidence),
                           neighbour_tests(m.scores, m.steps, confidence), m.metric))
        for skill, idx in sorted(m.skills.items()):
            if len(idx) < min_skill_items or len(idx) == len(m.item_ids):
                continue
            sub = m.scores[:, idx]
            skills.append(Curve(name, skill, len(idx), m.chance, ability_curve(sub, m.steps, confidence),
                                neighbour_tests(sub, m.steps, confidence), m.metric))
        shift = manifest.shift
        if shift is not None and any(s <= shift for s in m.steps) and m.steps[-1] > shift:
            gaps[name] = stability_gap(m.scores, m.steps, shift, confidence, n_boot=n_boot)
    return SeriesCurves(manifest, tasks, skills, gaps)


@dataclass(frozen=True)
class QualityRow:
    """One task and formulation's E2LM signal quality, over the series given."""

    task: str
    formulation: str
    quality: SignalQuality
    final_mean: float

    @property
    def score(self) -> float:
        """A ranking for "watch this early": monotone, high SNR, early separation."""
        q = self.quality
        sep = 0.0 if math.isnan(q.earliest_step) else 1.0
        snr = 0.0 if math.isnan(q.snr) else min(q.snr, 20.0) / 20.0
        tau = 0.0 if math.isnan(q.kendall_tau) else q.kendall_tau
        return q.monotonicity + snr + 0.5 * tau + 0.5 * sep

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "formulation": self.formulation, **self.quality.to_dict(),
                "final_mean": self.final_mean, "watch_score": self.score}


def series_quality(series: Sequence[Sequence[tuple[SeriesEntry, Run]]], *, confidence: float = 0.95,
                   early_fraction: float = 0.3, until_step: int | None = None,
                   metric: str | None = None) -> list[QualityRow]:
    """E2LM signal quality of every task present in all `series` (runs of different sizes or
    seeds, on the same steps and items), best first. `until_step` keeps the checkpoints up to
    it (e.g. the shift, to judge only the smooth part of a run)."""
    mats = [task_matrices([p for p in pairs if until_step is None or p[0].step <= until_step], metric)
            for pairs in series]
    if not mats:
        return []
    rows = []
    for task in mats[0]:
        if not all(task in m for m in mats):
            continue
        group = [m[task] for m in mats]
        steps = group[0].steps
        ids = group[0].item_ids
        if any(g.steps != steps or g.item_ids != ids for g in group):
            # align on the steps and items all runs share
            shared_steps = sorted(set.intersection(*(set(g.steps) for g in group)))
            shared_ids = [i for i in ids if all(i in g.item_ids for g in group)]
            if len(shared_steps) < 2 or not shared_ids:
                continue
            group_scores = [g.scores[[g.steps.index(s) for s in shared_steps]][:, [g.item_ids.index(i) for i in shared_ids]]
                            for g in group]
            steps = shared_steps
        else:
            group_scores = [g.scores for g in group]
        q = signal_quality(group_scores, steps, group[0].chance, confidence, early_fraction)
        rows.append(QualityRow(task, group[0].formulation, q, float(np.mean([s[-1].mean() for s in group_scores]))))
    rows.sort(key=lambda r: -r.score)
    return rows


def recommend(rows: Sequence[QualityRow], top: int = 3) -> list[str]:
    """Plain sentences: which tasks and formulations to watch early in training, and which
    give no signal yet."""
    out = []
    good = [r for r in rows if r.quality.monotonicity > 0.5 and not math.isnan(r.quality.earliest_step)]
    for r in good[:top]:
        t = r.quality.kendall_tau
        tau = "" if math.isnan(t) else (f", early ranking {'agrees' if t > 0 else 'does not agree'} with the final "
                                        f"one (tau {t:+.2f})")
        out.append(f"watch {r.task} ({r.formulation}): rises steadily (Spearman {r.quality.monotonicity:.2f}), "
                   f"SNR {r.quality.snr:.1f}, above chance from step {r.quality.earliest_step:g}{tau}")
    by_task: dict[str, dict[str, QualityRow]] = {}
    for r in rows:
        by_task.setdefault(r.task.split("@")[0], {})[r.formulation] = r
    for base, forms in by_task.items():
        if "cloze" in forms and "listed" in forms:
            c, l = forms["cloze"], forms["listed"]
            if abs(c.score - l.score) < 0.05:
                out.append(f"{base}: cloze and listed give about the same signal (watch score {c.score:.2f} vs "
                           f"{l.score:.2f})")
                continue
            better = c if c.score > l.score else l
            other = l if better is c else c
            out.append(f"{base}: the {better.formulation} formulation gives more signal early "
                       f"(watch score {better.score:.2f} vs {other.score:.2f})")
    flat = [r for r in rows if math.isnan(r.quality.earliest_step)]
    if flat:
        out.append("no signal above chance yet: " + ", ".join(f"{r.task} ({r.formulation})" for r in flat))
    return out
