"""Agent episodes on a page: each turn of a trajectory (observation, reply, action, tool
result or error, reward, checkpoint), and the report's `<section id="agents">` with every
environment task's episode summary (pass^k, failures by party, cost per solved task) and
its first episodes turn by turn."""

from __future__ import annotations

import json
import math
from typing import Any, Sequence

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from assay.core.run import Run

EPISODES_SHOWN = 3
"""Episodes per task shown turn by turn in the report (the dashboard shows every one)."""


def turn_views(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """An episode's trajectory (`metadata["trajectory"]`, written by the agent loop) as rows a
    page shows: turn number, what the agent saw, what it said, what it did, what came back."""
    trajectory = metadata.get("trajectory")
    if not isinstance(trajectory, list):
        return []
    rows = []
    for step in trajectory:
        if not isinstance(step, dict):
            continue
        seen = step.get("observation")
        if seen is None and isinstance(step.get("observations"), list):
            seen = "\n".join(f"[player {i}] {o}" for i, o in enumerate(step["observations"]) if o)
        replies = step.get("replies")
        reply = step.get("reply")
        if reply is None and isinstance(replies, dict):
            reply = "\n".join(f"[player {k}] {' / '.join(v)}" for k, v in replies.items())
        action = step.get("action") or step.get("moves")
        error = step.get("error") or step.get("errors")
        verdicts = step.get("judge") if isinstance(step.get("judge"), list) else []
        if verdicts:  # a judged environment's verdicts (mtbench), shown where the episode ends
            seen = "\n\n".join(f"judge ({v.get('prompt')}): rating {v.get('rating', '—')}\n{v.get('verdict', '')}"
                                for v in verdicts if isinstance(v, dict))
        rows.append({
            "turn": step.get("turn"),
            "observation": seen or "",
            "reply": reply or "",
            "action": json.dumps(action, ensure_ascii=False) if action else "",
            "error": json.dumps(error, ensure_ascii=False) if error else "",
            "reward": "" if step.get("reward") is None and step.get("rewards") is None
            else str(step.get("reward", step.get("rewards"))),
            "checkpoint": step.get("checkpoint") or step.get("budget") or "",
        })
    return rows


def _num(x: float) -> str:
    return "—" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.3g}"


def agents_section(runs: Sequence[Run]) -> Markup | None:
    """The report's agents section, or None when no run holds episodes."""
    from assay.agents.metrics import summarize_episodes

    tasks = []
    for run in runs:
        for task, s in summarize_episodes(run.samples).items():
            episodes = [r for r in run.samples if r.task == task and "trajectory" in r.metadata][:EPISODES_SHOWN]
            tasks.append({
                "model": run.model, "task": task, "episodes": s.episodes, "trials": s.trials,
                "success": _num(s.success),
                "pass_k": ", ".join(f"pass^{k} {_num(v[0])} [{_num(v[1])}, {_num(v[2])}]" for k, v in s.pass_k.items()),
                "trial_spread": ", ".join(_num(x) for x in s.trial_success)
                + (f" (sd {_num(s.trial_std)})" if len(s.trial_success) > 1 else ""),
                "outcomes": ", ".join(f"{k} {v}" for k, v in s.outcomes.items()),
                "parties": ", ".join(f"{k} {v}" for k, v in s.parties.items()),
                "over_budget": _num(s.over_budget), "correction": _num(s.correction), "errors": s.errors,
                "tokens": _num(s.tokens_mean), "cost_per_solved": _num(s.cost_per_solved),
                "shown": [{"id": r.sample_id, "outcome": r.metadata.get("episode", {}).get("outcome", ""),
                           "turns": turn_views(r.metadata)} for r in episodes],
            })
    if not tasks:
        return None
    env = Environment(loader=PackageLoader("assay.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                      lstrip_blocks=True)
    return Markup(env.get_template("agents.html.j2").render(tasks=tasks))
