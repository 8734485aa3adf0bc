"""The agent loop: a ReAct-style solver that plays one episode of a single-agent environment.

Each turn the model sees the conversation so far (system instructions with the tools, the
observations, its own earlier replies and the tool results) and answers with a tool call
or a reply; the environment turns that into the next observation. Every model call is one
cached engine step (`StepContext.generate`), and the environment is deterministic for its
seed, so a killed episode replays from the cache up to where it stopped and goes on.

Budgets (turns, tokens, wall time, cost) end an episode as a budget failure. Wall time is
the sum of the model calls' recorded latencies (cached with each answer), so a resumed
episode counts the same time as an uninterrupted one. Correctable agent errors (invalid
JSON, unknown tool, arguments failing the schema, a tool rejecting its input) are shown to
the agent as an error message; after `max_errors` of them the episode ends as `bad_action`.
An environment that raises ends the episode as the environment's failure; the run goes on.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from assay.agents.episode import EpisodeOutput, episode_scores
from assay.agents.judging import judge_episode
from assay.agents.protocol import ParseError, check_call, parse_reply, tools_prompt
from assay.core.hashing import canonical_json
from assay.core.messages import ChatMessage
from assay.core.requests import Generate, GenerationParams
from assay.core.responses import Usage
from assay.core.solver import PlannedSample, StepContext
from assay.envs.base import Action, Environment, ToolError


@dataclass(frozen=True)
class Budget:
    """Limits of one episode. `price_in` / `price_out` are per million tokens (the cost
    budget and `cost per solved task` use them); None means no limit."""

    max_turns: int = 10
    max_tokens: int | None = None
    max_seconds: float | None = None
    max_cost: float | None = None
    max_errors: int = 3
    price_in: float = 0.0
    price_out: float = 0.0

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.price_in + tokens_out * self.price_out) / 1e6

    def exceeded(self, tokens: int, seconds: float, cost: float) -> str | None:
        """The budget outcome that has run out, if any."""
        if self.max_tokens is not None and tokens > self.max_tokens:
            return "tokens"
        if self.max_seconds is not None and seconds > self.max_seconds:
            return "time"
        if self.max_cost is not None and cost > self.max_cost:
            return "cost"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"max_turns": self.max_turns, "max_tokens": self.max_tokens, "max_seconds": self.max_seconds,
                "max_cost": self.max_cost, "max_errors": self.max_errors, "price_in": self.price_in,
                "price_out": self.price_out}


@dataclass(frozen=True)
class AgentConfig:
    """How the agent is asked: the budget, tokens per reply, and sampling (a trial's seed
    comes from the sample, so repeated trials differ only when `temperature` > 0)."""

    budget: Budget = Budget()
    max_tokens_per_turn: int = 192
    temperature: float = 0.0
    protocol: str = "text"
    """"text": tools printed in the system prompt, calls parsed from the reply, for any
    backend. "native": tools sent with the request (OpenAI `tools`; llama.cpp renders them
    with the model's own chat template), calls read from the answer's `tool_calls`, or
    parsed from the template's own tags (`<tool_call>`) when the server leaves them in the text."""
    judge: Any = None
    """The judge model of a judged environment (one with `judge_requests`, e.g. MT-Bench)."""
    judge_max_tokens: int = 256


class _Meter:
    """Tokens, time and cost spent so far in an episode."""

    def __init__(self, budget: Budget) -> None:
        self.budget, self.tokens_in, self.tokens_out, self.seconds = budget, 0, 0, 0.0

    def add(self, usage: Usage) -> None:
        self.tokens_in += usage.tokens_in
        self.tokens_out += usage.tokens_out
        self.seconds += usage.latency_s

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out

    @property
    def cost(self) -> float:
        return self.budget.cost(self.tokens_in, self.tokens_out)

    def exceeded(self) -> str | None:
        return self.budget.exceeded(self.tokens, self.seconds, self.cost)

    def usage(self) -> Usage:
        return Usage(tokens_in=self.tokens_in, tokens_out=self.tokens_out, latency_s=self.seconds)


def react_solver(make_env: Callable[[Mapping[str, Any]], Environment], config: AgentConfig = AgentConfig()):
    """A solver playing one episode per sample: `make_env(sample.metadata)` builds the
    environment, reset with the sample's `seed`; the sample's `trial` seeds sampling."""

    async def solve(planned: PlannedSample, ctx: StepContext) -> EpisodeOutput:
        meta = planned.sample.metadata
        return await run_episode(make_env(meta), int(meta["seed"]), ctx, config, trial=int(meta.get("trial", 0)))

    return solve


async def run_episode(env: Environment, seed: int, ctx: StepContext, config: AgentConfig, *,
                      trial: int = 0) -> EpisodeOutput:
    """Play one episode of `env` from `seed` with the model behind `ctx` (see the module docstring)."""
    budget = config.budget
    meter = _Meter(budget)
    trajectory: list[dict[str, Any]] = []
    errors = corrected = 0
    pending_error = False
    reward = 0.0
    last_text = ""
    params = GenerationParams(max_tokens=config.max_tokens_per_turn, temperature=config.temperature,
                              seed=None if config.temperature <= 0 else seed * 1000 + trial)

    def finish(outcome: str, explanation: str = "") -> EpisodeOutput:
        try:
            extra = env.episode_metrics()
            progress = env.progress()
        except Exception as exc:  # noqa: BLE001 — a broken environment is recorded, never raised
            extra, progress, outcome = {}, math.nan, "simulator_error"
            explanation = f"episode_metrics raised {type(exc).__name__}: {exc}"
        scores = episode_scores(outcome, progress=progress, reward=reward, turns=len(trajectory) - 1,
                                tokens=meter.tokens, cost=meter.cost, errors=errors, corrected=corrected,
                                extra={k: float(v) for k, v in extra.items()})
        episode = {"env": env.name, "seed": seed, "trial": trial, "outcome": outcome, "explanation": explanation,
                   "scores": scores, "budget": budget.to_dict(), "trajectory": trajectory}
        return EpisodeOutput(texts=(last_text,), finish_reason=outcome, usage=meter.usage(), episode=episode)

    try:
        observation = env.reset(seed)
    except Exception as exc:  # noqa: BLE001
        return finish("simulator_error", f"reset raised {type(exc).__name__}: {exc}")
    native = config.protocol == "native" and bool(env.tools)
    tools_json = canonical_json(list(env.tools)) if native else None
    system = "\n\n".join(p for p in (env.instructions, "" if native else tools_prompt(env.tools)) if p)
    messages = [ChatMessage("system", system)] if system else []
    messages.append(ChatMessage("user", observation))
    trajectory.append({"turn": 0, "observation": observation})

    for turn in range(1, budget.max_turns + 1):
        if native:  # an environment may offer more tools as the episode goes on (BFCL's miss_func)
            tools_json = canonical_json(list(env.tools))
        completion = await ctx.generate(Generate(messages=tuple(messages), params=params, tools=tools_json))
        meter.add(completion.usage)
        last_text = completion.text
        entry: dict[str, Any] = {"turn": turn, "reply": completion.text, "tokens_in": completion.usage.tokens_in,
                                 "tokens_out": completion.usage.tokens_out}
        trajectory.append(entry)
        call = completion.tool_calls[0] if completion.tool_calls else None
        # A native call is answered by a "tool" turn naming it (the OpenAI format requires it).
        messages.append(ChatMessage("assistant", completion.text, tool_calls=(call,) if call else None))
        over = meter.exceeded()
        if over:
            entry["budget"] = over
            return finish(over, f"{over} budget exceeded after turn {turn}")
        if call is not None:
            entry["tool_call"] = {"id": call[0], "name": call[1], "arguments": call[2]}
            action = _native_action(call, env.tools)
        else:
            action = parse_reply(completion.text, env.tools)

        def reply_to(text: str) -> ChatMessage:
            return ChatMessage("tool", text, tool_call_id=call[0]) if call else ChatMessage("user", text)

        if isinstance(action, ParseError):
            errors += 1
            pending_error = True
            entry["error"] = {"kind": action.kind, "message": action.message}
            if errors >= budget.max_errors:
                return finish("bad_action", f"{errors} invalid actions; last: {action.message}")
            messages.append(reply_to(f"Error: {action.message}. Try again."))
            continue
        entry["action"] = action.to_dict()
        if pending_error:  # a well-formed action after an error message: corrected
            corrected += 1
            pending_error = False
        try:
            result = env.step(action)
        except ToolError as exc:  # the agent's call was wrong (e.g. a missing file): it may correct it
            errors += 1
            pending_error = True
            entry["error"] = {"kind": "tool_error", "message": str(exc)}
            if errors >= budget.max_errors:
                return finish("bad_action", f"{errors} invalid actions; last: {exc}")
            messages.append(reply_to(f"Tool error: {exc}"))
            continue
        except Exception as exc:  # noqa: BLE001 — the environment broke: its failure, not the agent's
            kind = "tool_exception" if action.is_tool_call else "simulator_error"
            entry["error"] = {"kind": kind, "message": f"{type(exc).__name__}: {exc}"}
            return finish(kind, f"the environment raised {type(exc).__name__}: {exc}")
        reward += result.reward
        entry["reward"] = result.reward
        if result.info.get("checkpoint"):
            entry["checkpoint"] = result.info["checkpoint"]
        if result.done:
            outcome = str(result.info.get("outcome", "solved" if result.reward > 0 else "wrong_answer"))
            if config.judge is not None and hasattr(env, "judge_requests"):
                outcome, entry["judge"] = await judge_episode(env, ctx, config.judge,
                                                              GenerationParams(max_tokens=config.judge_max_tokens))
            return finish(outcome)
        entry["observation"] = result.observation
        if action.is_tool_call:
            messages.append(reply_to(f"Tool result ({action.tool}): {result.observation}\n"
                                     "(Call another tool, or reply with the final answer in plain text.)"))
        else:
            messages.append(ChatMessage("user", result.observation))
    return finish("turns", f"no final answer within {budget.max_turns} turns")


def _native_action(call: tuple[str, str, str], tools: Any) -> Action | ParseError:
    """A native tool call (id, name, arguments JSON text) as an action, checked like a text one."""
    _, name, arguments = call
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError as exc:
        return ParseError("invalid_json", f"the arguments of {name} are not valid JSON ({exc.msg})")
    return check_call(name, parsed, tools)
