"""Skill diagnosis from runs: which skills a model lacks, not only how many items it missed.

- The Q-matrix comes from each item's `skills` metadata (the built-in suites carry it; a user
  task adds a `skills` column).
- DINA (`assay.stats.cdm`) gives each row (a run's model, per prompt format) a posterior
  probability of mastering each skill, with a bootstrap-over-items interval (*From Scores to
  Skills*, cognitive diagnosis of LLMs).
- Cross-capability (*Law of the Weakest Link*): for items needing a combination of skills,
  their accuracy against the accuracy on items needing each component skill without the
  others; the paper finds combinations at or below the weakest component.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from assay.core.run import Run
from assay.errors import AssayError
from assay.stats.cdm import DINAFit, fit_dina, mastery_intervals
from assay.stats.intervals import wilson


@dataclass(frozen=True)
class SkillMastery:
    row: str
    skill: str
    mastery: float
    low: float
    high: float
    n_items: int
    accuracy: float


@dataclass(frozen=True)
class CrossCapability:
    """A skill combination's accuracy next to its components' (each on items needing that skill
    without the combination's other skills)."""

    row: str
    skills: tuple[str, ...]
    n_items: int
    accuracy: float
    ci_low: float
    ci_high: float
    components: dict[str, float]
    verdict: str


@dataclass
class Diagnosis:
    skills: list[str]
    rows: list[str]
    items: list[str]
    q_matrix: np.ndarray
    responses: np.ndarray
    fit: DINAFit
    mastery: list[SkillMastery]
    cross: list[CrossCapability] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"skills": self.skills, "rows": self.rows, "n_items": len(self.items),
                "slip_mean": float(np.mean(self.fit.slip)), "guess_mean": float(np.mean(self.fit.guess)),
                "shared_item_parameters": self.fit.shared_item_parameters,
                "mastery": [m.__dict__ for m in self.mastery],
                "cross": [{**c.__dict__, "skills": list(c.skills)} for c in self.cross]}


def responses_with_skills(runs: Iterable[Run], tasks: Sequence[str] | None = None, threshold: float = 0.5
                          ) -> tuple[list[str], list[str], np.ndarray, dict[str, tuple[str, ...]]]:
    """Rows (model, per format), items (`task/sample_id`), the 1/0/NaN matrix, and each item's skills."""
    cells: dict[str, dict[str, float]] = {}
    skills: dict[str, tuple[str, ...]] = {}
    for run in runs:
        for name, result in run.tasks.items():
            base = result.base_name
            if tasks and base not in tasks:
                continue
            metric = result.primary_metric
            row = run.model + (f"@{name.split('@', 1)[1]}" if "@" in name else "")
            target = cells.setdefault(row, {})
            for rec in run.rows(name):
                tagged = rec.metadata.get("skills")
                if not tagged:
                    continue
                item = f"{base}/{rec.sample_id}"
                skills[item] = tuple(sorted({str(s) for s in tagged}))
                value = rec.scores.get(metric) if metric else None
                if rec.error is None and value is not None and not (isinstance(value, float) and math.isnan(value)):
                    target[item] = 1.0 if float(value) >= threshold else 0.0
    items = sorted(skills)
    if not items:
        raise AssayError("no item in these runs carries `skills` metadata; the built-in suites do, and a task "
                         "file can add a `skills` column")
    rows = [r for r in cells if cells[r]]
    y = np.array([[cells[r].get(i, math.nan) for i in items] for r in rows], float)
    return rows, items, y, skills


def q_matrix(items: Sequence[str], skills: dict[str, tuple[str, ...]], min_items: int = 3
             ) -> tuple[list[str], np.ndarray, list[int]]:
    """The skills that at least `min_items` items need, the Q-matrix over them, and the items
    kept (an item whose skills are all rare is dropped)."""
    counts: dict[str, int] = {}
    for item in items:
        for s in skills[item]:
            counts[s] = counts.get(s, 0) + 1
    names = sorted(s for s, c in counts.items() if c >= min_items)
    keep = [j for j, item in enumerate(items) if any(s in names for s in skills[item])]
    q = np.array([[1.0 if s in skills[items[j]] else 0.0 for s in names] for j in keep])
    return names, q, keep


def weakest_link(rows: Sequence[str], items: Sequence[str], y: np.ndarray, skills: dict[str, tuple[str, ...]],
                 min_items: int = 5) -> list[CrossCapability]:
    """Each skill combination (two or more skills, at least `min_items` items) per row, against
    its components measured on items that need the component but none of the combination's
    other skills."""
    combos: dict[tuple[str, ...], list[int]] = {}
    for j, item in enumerate(items):
        if len(skills[item]) >= 2:
            combos.setdefault(skills[item], []).append(j)
    out = []
    for combo, idx in sorted(combos.items()):
        if len(idx) < min_items:
            continue
        comp_idx = {s: [j for j, item in enumerate(items) if s in skills[item]
                        and not (set(combo) - {s}) & set(skills[item])] for s in combo}
        for i, row in enumerate(rows):
            vals = y[i, idx]
            vals = vals[~np.isnan(vals)]
            if vals.size < min_items:
                continue
            ci = wilson(int(vals.sum()), int(vals.size))
            comps = {}
            for s, cj in comp_idx.items():
                cv = y[i, cj]
                cv = cv[~np.isnan(cv)]
                comps[s] = float(cv.mean()) if cv.size >= min_items else math.nan
            out.append(CrossCapability(row, combo, int(vals.size), float(vals.mean()), ci.low, ci.high, comps,
                                       _verdict(float(vals.mean()), comps)))
    return out


def _verdict(acc: float, comps: dict[str, float]) -> str:
    known = [v for v in comps.values() if not math.isnan(v)]
    if len(known) < 2:
        return "components not measured separately"
    lo, hi = min(known), max(known)
    if acc < lo:
        return "below the weakest component"
    if acc > hi:
        return "above the strongest component"
    return "closer to the weaker component" if acc - lo <= hi - acc else "closer to the stronger component"


def diagnose_runs(runs: Sequence[Run], *, tasks: Sequence[str] | None = None, min_items: int = 3, n_boot: int = 200,
                  seed: int = 0) -> Diagnosis:
    """DINA mastery per row and skill (with intervals), and the weakest-link table."""
    rows, items, y, skills = responses_with_skills(runs, tasks)
    names, q, keep = q_matrix(items, skills, min_items)
    if not names:
        raise AssayError(f"no skill is needed by at least {min_items} items")
    if len(names) > 14:
        raise AssayError(f"{len(names)} skills; DINA enumerates 2^K profiles: name fewer tasks (--task) or raise "
                         "--min-items")
    yk = y[:, keep]
    fit = fit_dina(yk, q)
    low, high = mastery_intervals(fit, q, yk, n_boot=n_boot, rng=seed)
    table = []
    for i, row in enumerate(rows):
        for k, skill in enumerate(names):
            col = yk[i, q[:, k] == 1]
            col = col[~np.isnan(col)]
            table.append(SkillMastery(row, skill, float(fit.mastery[i, k]), float(low[i, k]), float(high[i, k]),
                                      int(col.size), float(col.mean()) if col.size else math.nan))
    cross = weakest_link(rows, items, y, skills)
    return Diagnosis(names, rows, [items[j] for j in keep], q, yk, fit, table, cross)
