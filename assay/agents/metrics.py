"""Metrics over a run's episodes, beyond the mean of each per-episode value:

- pass^k (tau-bench): the chance that *all* k of k trials of an episode succeed, estimated
  without bias from n ≥ k trials with c successes as C(c, k) / C(n, k), averaged over
  episodes (a t interval over episodes). pass^1 is the success rate; pass^k falls with k
  when an agent is inconsistent even if its mean is unchanged.
- the trial-to-trial spread: the success rate of each trial index (trial 0 of every
  episode, trial 1, ...) and their standard deviation: what a user re-running the same
  evaluation would see move (tau-bench users report 8–9 points);
- failures by outcome and by party (agent, environment, budget), each counted;
- over-budget ratio, correction success (pooled: corrected errors over errors), and cost
  per solved task (total cost over solved episodes, Efficient Agents' cost-of-pass).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from math import comb
from typing import Any, Sequence

import numpy as np

from assay.agents.episode import OUTCOME_PARTY
from assay.core.results import SampleRecord
from assay.stats.intervals import mean_ci


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Unbiased pass^k of one episode with `c` successes in `n` trials (k ≤ n): C(c,k)/C(n,k)."""
    if not 0 <= c <= n:
        raise ValueError(f"successes c={c} must be between 0 and n={n}")
    if not 1 <= k <= n:
        raise ValueError(f"k={k} must be between 1 and the number of trials n={n}")
    return comb(c, k) / comb(n, k)


@dataclass
class EpisodeSummary:
    """One environment task's episodes summed up (see the module docstring)."""

    task: str
    episodes: int
    trials: int
    success: float
    pass_k: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    """k -> (estimate, ci_low, ci_high)."""
    trial_success: list[float] = field(default_factory=list)
    trial_std: float = math.nan
    outcomes: dict[str, int] = field(default_factory=dict)
    parties: dict[str, int] = field(default_factory=dict)
    over_budget: float = math.nan
    correction: float = math.nan
    errors: int = 0
    tokens_mean: float = math.nan
    cost_total: float = 0.0
    cost_per_solved: float = math.nan
    failed_samples: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["pass_k"] = {str(k): list(v) for k, v in self.pass_k.items()}
        return out


def summarize_episodes(records: Sequence[SampleRecord]) -> dict[str, EpisodeSummary]:
    """Per task, the summary of its episode records (records of other tasks are ignored)."""
    by_task: dict[str, list[SampleRecord]] = defaultdict(list)
    for r in records:
        if "episode" in r.metadata or r.metadata.get("env"):
            by_task[r.task].append(r)
    return {task: _summarize(task, rows) for task, rows in by_task.items()}


def _summarize(task: str, rows: list[SampleRecord]) -> EpisodeSummary:
    done = [r for r in rows if not r.error and "episode" in r.metadata]
    groups: dict[str, list[SampleRecord]] = defaultdict(list)
    for r in done:
        groups[str(r.metadata.get("group", r.sample_id))].append(r)
    trials = max((len(g) for g in groups.values()), default=0)
    success = [r.scores.get("success", math.nan) for r in done]
    valid = [s for s in success if not math.isnan(s)]
    summary = EpisodeSummary(task=task, episodes=len(groups), trials=trials,
                             success=float(np.mean(valid)) if valid else math.nan, failed_samples=len(rows) - len(done))
    if valid and trials:
        for k in range(1, trials + 1):
            per_episode = []
            for g in groups.values():
                s = [r.scores.get("success", math.nan) for r in g]
                s = [x for x in s if not math.isnan(x)]
                if len(s) >= k:
                    per_episode.append(pass_hat_k(len(s), int(sum(x >= 0.5 for x in s)), k))
            if per_episode:
                iv = mean_ci(np.asarray(per_episode, dtype=float))
                summary.pass_k[k] = (float(np.mean(per_episode)), float(iv.low), float(iv.high))
        by_trial: dict[int, list[float]] = defaultdict(list)
        for r in done:
            value = r.scores.get("success", math.nan)
            if not math.isnan(value):
                by_trial[int(r.metadata.get("trial", 0))].append(value)
        summary.trial_success = [float(np.mean(by_trial[t])) for t in sorted(by_trial)]
        if len(summary.trial_success) > 1:
            summary.trial_std = float(np.std(summary.trial_success, ddof=1))
    outcomes = Counter(str(r.metadata["episode"].get("outcome")) for r in done)
    summary.outcomes = dict(sorted(outcomes.items()))
    parties = Counter(OUTCOME_PARTY.get(o) or "none" for o in outcomes.elements())
    summary.parties = {p: parties.get(p, 0) for p in ("agent", "environment", "budget")}
    if done:
        summary.over_budget = float(np.mean([r.scores.get("over_budget", 0.0) for r in done]))
        errors = [r.scores.get("errors", 0.0) for r in done]
        corrected = [r.scores.get("correction", math.nan) * e for r, e in zip(done, errors) if e]
        summary.errors = int(sum(errors))
        summary.correction = float(sum(corrected) / sum(e for e in errors if e)) if summary.errors else math.nan
        summary.tokens_mean = float(np.mean([r.scores.get("tokens", 0.0) for r in done]))
        summary.cost_total = float(sum(r.scores.get("cost", 0.0) for r in done))
        solved = sum(1 for v in valid if v >= 0.5)
        summary.cost_per_solved = summary.cost_total / solved if solved else math.inf
    return summary
