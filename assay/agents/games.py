"""The game loop: a solver that plays one episode of a multi-agent environment.

Each seat is played by the model under evaluation (`"agent"`), another model object (an
opponent in a tournament; its calls are cached under its own identity), or a scripted
strategy the environment knows (`tit-for-tat`, `always-defect`, `random`, ...). Every
model seat keeps its own conversation: it sees only its own observations (its private
value, the history as told to it). A move that cannot be parsed is shown back to the
player once as an error (a correction chance); a second bad move ends the game as that
player's `bad_action`. Budgets and caching are those of the single-agent loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from assay.agents.episode import EpisodeOutput, episode_scores
from assay.agents.loop import AgentConfig, _Meter
from assay.core.messages import ChatMessage
from assay.core.requests import Generate, GenerationParams
from assay.core.solver import PlannedSample, StepContext
from assay.envs.base import MultiAgentEnvironment


@dataclass(frozen=True)
class Seats:
    """Who plays each seat: "agent", a key of `models`, or a scripted strategy name."""

    players: tuple[str, ...]
    models: Mapping[str, Any] = field(default_factory=dict)

    def kind(self, seat: int) -> str:
        who = self.players[seat]
        return "agent" if who == "agent" else "model" if who in self.models else "scripted"


def game_solver(make_env: Callable[[Mapping[str, Any]], MultiAgentEnvironment], seats: Seats,
                config: AgentConfig = AgentConfig()):
    """A solver playing one game per sample (`seed` and `trial` from the sample's metadata)."""

    async def solve(planned: PlannedSample, ctx: StepContext) -> EpisodeOutput:
        meta = planned.sample.metadata
        return await play_game(make_env(meta), int(meta["seed"]), ctx, seats, config, trial=int(meta.get("trial", 0)))

    return solve


async def play_game(env: MultiAgentEnvironment, seed: int, ctx: StepContext, seats: Seats, config: AgentConfig, *,
                    trial: int = 0) -> EpisodeOutput:
    """One game of `env` from `seed`; the values reported are the environment's measures,
    with `reward` the total payoff of seat 0."""
    if len(seats.players) != env.n_players:
        raise ValueError(f"{env.name} has {env.n_players} seats, {len(seats.players)} players were given")
    budget = config.budget
    meter = _Meter(budget)
    trajectory: list[dict[str, Any]] = []
    errors = corrected = 0
    totals = [0.0] * env.n_players
    replies = [""] * env.n_players
    params = GenerationParams(max_tokens=config.max_tokens_per_turn, temperature=config.temperature,
                              seed=None if config.temperature <= 0 else seed * 1000 + trial)

    def finish(outcome: str, explanation: str = "") -> EpisodeOutput:
        try:
            extra = dict(env.episode_metrics())
        except Exception as exc:  # noqa: BLE001
            extra, outcome, explanation = {}, "simulator_error", f"episode_metrics raised {exc!r}"
        # A game has no single "solved": it may report its own success and progress (the swarm does).
        success = float(extra.pop("success", math.nan)) if outcome == "solved" else 0.0
        scores = episode_scores(outcome, progress=float(extra.pop("progress", math.nan)), reward=totals[0],
                                turns=len(trajectory) - 1, tokens=meter.tokens, cost=meter.cost, errors=errors,
                                corrected=corrected, extra={k: float(v) for k, v in extra.items()}, success=success)
        episode = {"env": env.name, "seed": seed, "trial": trial, "outcome": outcome, "explanation": explanation,
                   "players": list(seats.players), "totals": totals, "scores": scores,
                   "budget": budget.to_dict(), "trajectory": trajectory}
        return EpisodeOutput(texts=(replies[0],), finish_reason=outcome, usage=meter.usage(), episode=episode)

    try:
        observations = env.reset(seed)
    except Exception as exc:  # noqa: BLE001
        return finish("simulator_error", f"reset raised {type(exc).__name__}: {exc}")
    conversations = [[ChatMessage("system", env.instructions)] if env.instructions else [] for _ in seats.players]
    for seat, obs in enumerate(observations):
        conversations[seat].append(ChatMessage("user", obs))
    trajectory.append({"turn": 0, "observations": list(observations)})

    for turn in range(1, budget.max_turns + 1):
        moves: list[Any] = [None] * env.n_players
        entry: dict[str, Any] = {"turn": turn, "moves": {}, "replies": {}}
        trajectory.append(entry)
        for seat in env.acting():
            kind = seats.kind(seat)
            if kind == "scripted":
                try:
                    moves[seat] = env.scripted_move(seat, seats.players[seat])  # type: ignore[attr-defined]
                except Exception as exc:  # noqa: BLE001
                    return finish("simulator_error", f"scripted {seats.players[seat]} raised {exc!r}")
                entry["moves"][str(seat)] = moves[seat]
                continue
            model = None if kind == "agent" else seats.models[seats.players[seat]]
            for attempt in (0, 1):
                completion = await ctx.generate(Generate(messages=tuple(conversations[seat]), params=params), model=model)
                if kind == "agent":
                    meter.add(completion.usage)
                replies[seat] = completion.text
                conversations[seat].append(ChatMessage("assistant", completion.text))
                entry["replies"].setdefault(str(seat), []).append(completion.text)
                try:
                    moves[seat] = env.parse(seat, completion.text)
                except ValueError as exc:
                    if kind == "agent":
                        errors += 1
                    entry.setdefault("errors", []).append({"seat": seat, "kind": "bad_move", "message": str(exc)})
                    if attempt == 1:
                        # the other model's bad move is the opponent's failure, reported as such
                        outcome = "bad_action" if kind == "agent" else "opponent_error"
                        return finish(outcome, f"seat {seat} ({seats.players[seat]}) made no valid move: {exc}")
                    conversations[seat].append(ChatMessage("user", f"Error: {exc}. Try again."))
                    continue
                if attempt == 1 and kind == "agent":
                    corrected += 1
                break
            entry["moves"][str(seat)] = moves[seat]
            over = meter.exceeded()
            if over:
                return finish(over, f"{over} budget exceeded in round {turn}")
        try:
            observations, rewards, done, _ = env.step(moves)
        except Exception as exc:  # noqa: BLE001
            entry["error"] = {"kind": "simulator_error", "message": f"{type(exc).__name__}: {exc}"}
            return finish("simulator_error", f"step raised {type(exc).__name__}: {exc}")
        for seat, r in enumerate(rewards):
            totals[seat] += r
        entry["rewards"] = list(rewards)
        entry["observations"] = list(observations)
        if done:
            return finish("solved")
        for seat, obs in enumerate(observations):
            if obs:
                conversations[seat].append(ChatMessage("user", obs))
    return finish("turns", f"the game did not end within {budget.max_turns} rounds")
