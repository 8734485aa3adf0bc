"""The integrity audit file: what each check found, kept in one JSON file that the checks
add their section to (`overlap`, `membership`, `guessing`, `rewrites`), and the summary
`assay integrity report` makes of it together with runs: per task, the items flagged by
each check, the membership AUROCs, TS-Guessing, the rewrite gap and the clean-subset score.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from assay.analyses.integrity.clean import CleanSubsetScore, clean_subset_score
from assay.core.run import Run
from assay.errors import ConfigError

SECTIONS = ("overlap", "membership", "guessing", "rewrites")


def load_audit(path: str | Path) -> dict[str, Any]:
    """The audit file's sections ({} when it does not exist yet)."""
    p = Path(path)
    if not p.exists():
        return {}
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"integrity audit {p} is not readable JSON: {exc}", file=p,
                          hint="remove it or pass another --audit file") from None
    if not isinstance(data, dict):
        raise ConfigError(f"integrity audit {p} must hold a JSON object", file=p)
    return data


def save_section(path: str | Path, section: str, entries: Mapping[str, Any]) -> Path:
    """Merge `entries` (keyed by task, or task and model) into `section` of the audit file,
    written atomically; the other sections and entries are kept."""
    if section not in SECTIONS:
        raise ValueError(f"unknown audit section {section!r}")
    p = Path(path)
    data = load_audit(p)
    data.setdefault(section, {}).update(entries)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, allow_nan=True), encoding="utf-8")
    tmp.replace(p)
    return p


@dataclass
class TaskIntegrity:
    """One task's row of the integrity report."""

    task: str
    model: str = ""
    overlap_flagged: list[str] = field(default_factory=list)
    overlap_n: int = 0
    membership: list[dict[str, Any]] = field(default_factory=list)
    membership_flagged: list[str] = field(default_factory=list)
    membership_score: str = ""
    membership_fpr: float = math.nan
    guessing: dict[str, Any] | None = None
    rewrites: list[dict[str, Any]] = field(default_factory=list)
    clean: CleanSubsetScore | None = None

    @property
    def flagged(self) -> set[str]:
        verbatim = {v["id"] for v in (self.guessing or {}).get("verbatim", [])}
        return set(self.overlap_flagged) | set(self.membership_flagged) | verbatim

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "model": self.model, "overlap_flagged": self.overlap_flagged,
                "overlap_n": self.overlap_n, "membership": self.membership,
                "membership_flagged": self.membership_flagged, "membership_score": self.membership_score,
                "membership_fpr": self.membership_fpr, "guessing": self.guessing, "rewrites": self.rewrites,
                "clean": self.clean.to_dict() if self.clean else None, "flagged": sorted(self.flagged)}


def _base_task(name: str) -> str:
    return name.split("@", 1)[0]


def integrity_rows(audit: Mapping[str, Any], runs: Sequence[Run] = (), flag_score: str | None = None,
                   seed: int = 0) -> list[TaskIntegrity]:
    """One row per (task, model) found in the audit or the runs, with the clean-subset score
    computed from each run's per-item scores on its primary metric."""
    overlap = audit.get("overlap", {})
    membership = audit.get("membership", {})
    guessing = audit.get("guessing", {})
    rewrites = audit.get("rewrites", {})
    keys: set[tuple[str, str]] = set()
    aliases: dict[tuple[str, str], str] = {}  # (task, run's model) -> model name in the audit
    for section in (membership, guessing, rewrites):
        for key in section:
            task, _, model = key.partition("|")
            keys.add((task, model))
    for run in runs:
        for t in run.tasks:
            task = _base_task(t)
            same_task = [k for k in keys if k[0] == task]
            # A check saved under another name for the model (its file name rather than the
            # alias the run used) still belongs to the run when it is the task's only one.
            if (task, run.model) not in keys and len(same_task) == 1 and not any(r.model == same_task[0][1]
                                                                                  for r in runs):
                keys.discard(same_task[0])
                aliases[(task, run.model)] = same_task[0][1]
            keys.add((task, run.model))
    keys |= {(task, "") for task in overlap if not any(k[0] == task for k in keys)}
    rows = {key: TaskIntegrity(*key) for key in keys}
    for (task, run_model), r in rows.items():
        model = aliases.get((task, run_model), run_model)
        ov = overlap.get(task)
        if ov:
            r.overlap_flagged = [i["id"] for i in ov.get("items", []) if i.get("flagged")]
            r.overlap_n = len(ov.get("items", []))
        mem = membership.get(f"{task}|{model}")
        if mem:
            r.membership = mem.get("detection", [])
            flags = {f["score"]: f for f in mem.get("flags", [])}
            chosen = flag_score or mem.get("flag_score", "")
            if chosen in flags:
                r.membership_score, r.membership_flagged = chosen, list(flags[chosen]["flagged"])
                r.membership_fpr = float(flags[chosen]["fpr"])
        r.guessing = guessing.get(f"{task}|{model}")
        rw = rewrites.get(f"{task}|{model}")
        r.rewrites = rw.get("reports", []) if rw else []
    for run in runs:
        for task_name in run.tasks:
            r = rows[(_base_task(task_name), run.model)]
            metric = run.primary_metric(task_name)
            records = run.rows(task_name)
            if records:
                r.clean = clean_subset_score(task_name, metric, [x.sample_id for x in records],
                                             [x.scores.get(metric, math.nan) for x in records], r.flagged, seed)
    return [rows[k] for k in sorted(rows)]
