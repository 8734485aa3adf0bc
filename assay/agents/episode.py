"""What an episode produces: its outcome, attributed failure, trajectory and per-episode values.

Failures are attributed to one of three parties (tau-bench users report that up to 30% of
failures come from the simulated user, and no harness separated them):
- the agent: `wrong_answer` (it finished, wrongly) or `bad_action` (it kept sending actions
  that could not be carried out: invalid JSON, unknown tools, arguments failing the schema);
- the environment: `tool_exception` (a tool crashed), `simulator_error` (the environment
  itself raised), `opponent_error` (a rival model made no valid move) or `judge_error` (a
  judged environment's judge gave no readable rating);
- the budget: `turns`, `tokens`, `time` or `cost` ran out first.
An episode's output is a `Completion` (its last reply), so the engine's records, caches and
reports treat it like any generation; `record_metadata` puts the trajectory in the record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from assay.core.responses import Completion
from assay.core.sample import Sample
from assay.core.score import Score

OUTCOME_PARTY = {
    "solved": None,
    "wrong_answer": "agent",
    "bad_action": "agent",
    "tool_exception": "environment",
    "simulator_error": "environment",
    "opponent_error": "environment",
    "judge_error": "environment",
    "turns": "budget",
    "tokens": "budget",
    "time": "budget",
    "cost": "budget",
}
"""Every episode outcome and the party a failure is attributed to (None: not a failure)."""

ERROR_KINDS = ("invalid_json", "unknown_tool", "bad_arguments", "tool_error", "bad_move")
"""Correctable agent errors within an episode: the agent sees the message and may retry."""

BASE_METRICS = ("success", "progress", "reward", "turns", "tokens", "cost", "over_budget",
                "fail_agent", "fail_environment", "fail_budget", "errors", "correction")


@dataclass(frozen=True)
class EpisodeOutput(Completion):
    """A finished episode: `text` is the agent's last reply; `episode` holds the outcome,
    the per-episode values (`scores`) and the turn-by-turn `trajectory`."""

    episode: Mapping[str, Any] = field(default_factory=dict)

    @property
    def record_metadata(self) -> dict[str, Any]:
        """What the sample's record keeps besides its scores (read by the engine)."""
        summary = {k: v for k, v in self.episode.items() if k != "trajectory"}
        return {"trajectory": list(self.episode.get("trajectory", [])), "episode": summary}


def episode_scores(outcome: str, *, progress: float, reward: float, turns: int, tokens: int, cost: float,
                   errors: int, corrected: int, extra: Mapping[str, float] | None = None,
                   success: float | None = None) -> dict[str, float]:
    """The per-episode values every environment task reports (plus the environment's own).
    `correction` is the share of correctable errors followed by a valid action (NaN when
    the agent made none); `success` defaults to outcome == solved."""
    party = OUTCOME_PARTY[outcome]
    values = {
        "success": float(outcome == "solved") if success is None else success,
        "progress": progress,
        "reward": reward,
        "turns": float(turns),
        "tokens": float(tokens),
        "cost": cost,
        "over_budget": float(party == "budget"),
        "fail_agent": float(party == "agent"),
        "fail_environment": float(party == "environment"),
        "fail_budget": float(party == "budget"),
        "errors": float(errors),
        "correction": corrected / errors if errors else math.nan,
    }
    values.update(extra or {})
    return values


@dataclass(frozen=True)
class EpisodeScorer:
    """Reads the values the agent loop computed for the episode (the environment, not a
    text match, knows whether it was solved)."""

    metrics: tuple[str, ...] = BASE_METRICS
    name: str = "episode"

    def __call__(self, sample: Sample, output: Any) -> Score:
        episode = getattr(output, "episode", None) or {}
        scores = episode.get("scores", {})
        values = {m: float(scores.get(m, math.nan)) for m in self.metrics}
        return Score(values, extracted=episode.get("outcome"), explanation=episode.get("explanation", ""))
