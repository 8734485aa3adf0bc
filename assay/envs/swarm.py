"""A grid swarm task: n agents, each seeing only a small window around itself (SwarmBench).

The agents must all reach the goal cell's neighbourhood. No agent sees the whole grid: each
observation is a (2r+1)×(2r+1) window around the agent (`@` itself, `A` another agent, `G`
the goal, `#` a wall or the edge, `.` free). Moves: UP, DOWN, LEFT, RIGHT, STAY; a move
into a wall or an occupied cell is a no-op. Progress is the share of agents within one
step of the goal at the end; success is all of them.
"""

from __future__ import annotations

import random
import re
from typing import Any

from assay.envs.base import MultiAgentEnvironment
from assay.envs.registry import register_env

_MOVES = {"UP": (0, -1), "DOWN": (0, 1), "LEFT": (-1, 0), "RIGHT": (1, 0), "STAY": (0, 0)}


@register_env("swarm")
class GridSwarm(MultiAgentEnvironment):
    """`agents` agents on a `size`×`size` grid with a few walls, for `rounds` rounds."""

    description = "grid swarm: n agents with local views gather at a goal (SwarmBench style)"
    metrics = ("at_goal", "moves_valid")
    instructions = "You control one agent on a grid. Reply with one move: UP, DOWN, LEFT, RIGHT or STAY."

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.n_players = int(params.get("agents", 3))

    def reset(self, seed: int) -> list[str]:
        rng = random.Random(seed)
        self.size = int(self.params.get("size", 7))
        self.radius = int(self.params.get("view", 2))
        self.rounds = int(self.params.get("rounds", 8))
        cells = [(x, y) for x in range(self.size) for y in range(self.size)]
        rng.shuffle(cells)
        self.goal = cells.pop()
        self.walls = {c for c in cells[: self.size] if abs(c[0] - self.goal[0]) + abs(c[1] - self.goal[1]) > 1}
        free = [c for c in cells[self.size:] if c not in self.walls]
        self.positions = free[: self.n_players]
        self.round = 0
        self.valid = self.total = 0
        self.rng = rng
        return [self._view(i, first=True) for i in range(self.n_players)]

    def _view(self, me: int, first: bool = False) -> str:
        x0, y0 = self.positions[me]
        rows = []
        for y in range(y0 - self.radius, y0 + self.radius + 1):
            row = ""
            for x in range(x0 - self.radius, x0 + self.radius + 1):
                if (x, y) == (x0, y0):
                    row += "@"
                elif not (0 <= x < self.size and 0 <= y < self.size) or (x, y) in self.walls:
                    row += "#"
                elif (x, y) in self.positions:
                    row += "A"
                elif (x, y) == self.goal:
                    row += "G"
                else:
                    row += "."
            rows.append(row)
        head = (f"All {self.n_players} agents must gather next to the goal G within {self.rounds} rounds. "
                "You see only the cells near you (@ is you, A other agents, # walls).\n") if first else ""
        return head + f"Round {self.round + 1}. Your view:\n" + "\n".join(rows) + "\nYour move?"

    def parse(self, player: int, text: str) -> str:
        found = re.findall(r"\b(UP|DOWN|LEFT|RIGHT|STAY)\b", text.upper())
        if not found:
            raise ValueError("reply with one of UP, DOWN, LEFT, RIGHT, STAY")
        return found[0]

    def step(self, moves: list[Any]) -> tuple[list[str], list[float], bool, dict[str, Any]]:
        for i, move in enumerate(moves):
            dx, dy = _MOVES[move]
            x, y = self.positions[i]
            target = (x + dx, y + dy)
            self.total += 1
            if (0 <= target[0] < self.size and 0 <= target[1] < self.size and target not in self.walls
                    and (target == (x, y) or target not in self.positions)):
                self.positions[i] = target
                self.valid += 1
        self.round += 1
        rewards = [float(self._near(i)) for i in range(self.n_players)]
        done = self.round >= self.rounds or all(rewards)
        return [self._view(i) for i in range(self.n_players)], rewards, done, {}

    def _near(self, i: int) -> bool:
        x, y = self.positions[i]
        return abs(x - self.goal[0]) + abs(y - self.goal[1]) <= 1

    def scripted_move(self, player: int, strategy: str) -> str:
        if strategy == "random":
            return self.rng.choice(list(_MOVES))
        if strategy == "greedy":  # an oracle that knows where the goal is: the upper reference
            x, y = self.positions[player]
            if self._near(player):
                return "STAY"
            options = [m for m, (dx, dy) in _MOVES.items()
                       if abs(x + dx - self.goal[0]) + abs(y + dy - self.goal[1]) < abs(x - self.goal[0]) + abs(y - self.goal[1])
                       and (x + dx, y + dy) not in self.walls and (x + dx, y + dy) not in self.positions]
            return options[0] if options else "STAY"
        raise KeyError(strategy)

    def episode_metrics(self) -> dict[str, float]:
        at_goal = sum(self._near(i) for i in range(self.n_players)) / self.n_players
        return {"at_goal": at_goal, "moves_valid": self.valid / self.total if self.total else float("nan"),
                "success": float(at_goal == 1.0), "progress": at_goal}
