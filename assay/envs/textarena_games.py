"""Two-player text games from `textarena` (offline; TicTacToe by default), as a multi-agent
environment. Each seat sees textarena's own observation for its player; moves are written in
brackets (`[4]`), as textarena's games expect. Scripted seats play `random` (a seeded random
legal move) or `first` (the first legal move), read from the "Available Moves" textarena
prints. Measures: win, draw and loss of seat 0, from textarena's final rewards.

Only games that run offline are meant: TicTacToe (and other board games) do; textarena's word
games download nltk corpora on first use, which fails without the internet.
"""

from __future__ import annotations

import random
import re
from typing import Any

from assay.envs.base import MultiAgentEnvironment
from assay.envs.registry import register_env

_MOVE = re.compile(r"\[\s*[A-Za-z0-9 ]+\s*\]")


@register_env("textarena")
class TextArenaGame(MultiAgentEnvironment):
    """A textarena two-player game (`game=TicTacToe-v0`)."""

    description = "textarena two-player games (offline; TicTacToe-v0 by default) vs scripted opponents"
    instructions = "You are playing a game. Reply with your move in square brackets, e.g. [4]."
    metrics = ("win", "draw", "loss")
    n_players = 2

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.game = str(params.get("game", "TicTacToe-v0"))
        try:
            import textarena  # noqa: F401
        except ImportError:
            raise ValueError("the textarena environment needs `pip install textarena==0.7.4`") from None

    def reset(self, seed: int) -> list[str]:
        import textarena as ta

        self.env = ta.make(self.game)
        self.env.reset(num_players=2, seed=seed)
        self.rng = random.Random(seed)
        self.rewards: dict[int, float] | None = None
        player, observation = self.env.get_observation()
        self.current = int(player)
        self.last = ["", ""]
        self.last[self.current] = observation
        views = ["", ""]
        views[self.current] = observation
        return views

    def acting(self) -> list[int]:
        return [self.current]

    def parse(self, player: int, text: str) -> str:
        found = _MOVE.findall(text)
        if not found:
            raise ValueError("reply with your move in square brackets, e.g. [4]")
        return found[0]

    def step(self, moves: list[Any]) -> tuple[list[str], list[float], bool, dict[str, Any]]:
        done, _ = self.env.step(moves[self.current])
        if done:
            rewards, info = self.env.close()
            self.rewards = {int(k): float(v) for k, v in rewards.items()}
            text = f"Game over: {info}" if info else "Game over."
            return [text, text], [self.rewards.get(0, 0.0), self.rewards.get(1, 0.0)], True, {}
        player, observation = self.env.get_observation()
        self.current = int(player)
        self.last[self.current] = observation
        views = ["", ""]
        views[self.current] = observation
        return views, [0.0, 0.0], False, {}

    def scripted_move(self, player: int, strategy: str) -> str:
        legal = re.findall(r"'(\[[^\]]+\])'", self.last[player].rsplit("Available Moves:", 1)[-1])
        if not legal:
            return "[0]"
        if strategy == "first":
            return legal[0]
        if strategy == "random":
            return self.rng.choice(legal)
        raise KeyError(strategy)

    def episode_metrics(self) -> dict[str, float]:
        if self.rewards is None:
            return {"win": float("nan"), "draw": float("nan"), "loss": float("nan")}
        mine, theirs = self.rewards.get(0, 0.0), self.rewards.get(1, 0.0)
        return {"win": float(mine > theirs), "draw": float(mine == theirs), "loss": float(mine < theirs),
                "success": float(mine > theirs)}
