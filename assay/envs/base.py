"""The environment protocol: `reset(seed) -> observation`, `step(action) -> StepResult`.

Environments are plain, seeded, deterministic Python classes with text observations (as
BALROG's gym wrapper and Inspect's agent state take them). Tools are declared as JSON
schemas in the OpenAI tool-call format, so a backend with native tool calls receives them
unchanged and the text protocol can print them. An environment never calls a model: the
agent loop (`assay.agents`) does, which keeps every environment testable with a scripted
agent and replayable from a seed.

Multi-agent environments (`MultiAgentEnvironment`) give each player its own view and take
one action per player per round.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Action:
    """What an agent does in one turn: call a tool (`tool` and `arguments`) or say `text`
    (a reply in a conversation, or the final answer of a task)."""

    text: str | None = None
    tool: str | None = None
    arguments: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_tool_call(self) -> bool:
        return self.tool is not None

    def to_dict(self) -> dict[str, Any]:
        if self.tool is not None:
            return {"tool": self.tool, "arguments": dict(self.arguments)}
        return {"text": self.text}


@dataclass(frozen=True)
class StepResult:
    """The environment's answer to an action. `info` may carry `checkpoint` (the name of a
    checkpoint just reached) and `outcome` ("solved" or "wrong_answer") when `done`."""

    observation: str
    reward: float = 0.0
    done: bool = False
    info: Mapping[str, Any] = field(default_factory=dict)


class ToolError(Exception):
    """A tool rejected its (schema-valid) arguments, e.g. a file that does not exist: the
    agent sees the message and may correct itself; it is not the environment's fault."""


class SimulatorError(Exception):
    """The environment itself broke (a bug or an impossible state): attributed to the
    environment, never to the agent."""


def tool_schema(name: str, description: str, properties: Mapping[str, Any], required: tuple[str, ...] = ()) -> dict:
    """One tool in the OpenAI tool-call format (`{"type": "function", "function": {...}}`)."""
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": dict(properties), "required": list(required),
                       "additionalProperties": False}}}


class Environment(ABC):
    """A single-agent environment. Subclasses set `name`, `tools` (OpenAI-format schemas;
    empty for a plain conversation), `checkpoints` (names of the milestones `progress`
    counts) and `metrics` (extra per-episode values `episode_metrics` returns)."""

    name: str = ""
    description: str = ""
    instructions: str = ""
    """What the agent is told about the task before the first observation (system prompt)."""
    tools: tuple[dict, ...] = ()
    checkpoints: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()

    def __init__(self, **params: Any) -> None:
        self.params = params

    @abstractmethod
    def reset(self, seed: int) -> str:
        """Start an episode; the same seed always gives the same episode."""

    @abstractmethod
    def step(self, action: Action) -> StepResult:
        """Apply one action. Raise `ToolError` for a tool call the agent got wrong and
        anything else for a broken simulator."""

    def progress(self) -> float:
        """Share of the episode's checkpoints reached, 0..1 (BALROG's progress, over 1 not 100)."""
        return float("nan")

    def episode_metrics(self) -> dict[str, float]:
        """Extra values of the finished (or stopped) episode, named in `metrics`."""
        return {}


class MultiAgentEnvironment(ABC):
    """A game of several players moving simultaneously each round. Each player sees only
    its own view (`observe`); `step` takes every player's action text."""

    name: str = ""
    description: str = ""
    instructions: str = ""
    metrics: tuple[str, ...] = ()
    n_players: int = 2

    def __init__(self, **params: Any) -> None:
        self.params = params

    @abstractmethod
    def reset(self, seed: int) -> list[str]:
        """Start a game; one observation per player."""

    @abstractmethod
    def parse(self, player: int, text: str) -> Any:
        """A player's move from its text; raise `ValueError` with a short hint if none."""

    def acting(self) -> list[int]:
        """The players who move this round (all of them, unless the game takes turns)."""
        return list(range(self.n_players))

    @abstractmethod
    def step(self, moves: list[Any]) -> tuple[list[str], list[float], bool, dict[str, Any]]:
        """Apply every player's move: (observations, rewards, done, info)."""

    @abstractmethod
    def episode_metrics(self) -> dict[str, float]:
        """The game's measures (cooperation, efficiency, fairness, ...), named in `metrics`."""
