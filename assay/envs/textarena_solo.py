"""textarena's single-player puzzles (offline): Sokoban and FrozenLake, with progress beyond win or lose.

Each episode is one textarena game, generated from the episode's seed by textarena itself
(`Sokoban-v0`: a 6x6 room, 3 boxes, 30 moves; `FrozenLake-v0`: a 4x4 lake with 3 holes; the
`-medium` / `-hardcore` variants too). The agent sees textarena's own prompt and board, and
answers with a move in brackets (`[up]`, `[left]`, or `[w]`/`[a]`/`[s]`/`[d]`); each later
observation is what textarena added since the last one (the move's effect and the new board).
textarena's rules decide the game: an illegal move (into a wall) is forgiven once with a
warning, the next ends the game; a hole ends FrozenLake; Sokoban ends at its turn limit. A
reply without a bracketed move is a correctable agent error (the loop's `tool_error`) and is
never passed to the game.

Progress is BALROG's idea (a 0-100 score of how far the agent got, here 0..1) measured with
textarena's own completion measure, the same number textarena gives as the reward of a lost
game: Sokoban, the share of boxes on targets; FrozenLake, the shortest-path distance covered
from the start toward the goal (capped at 0.95 short of the goal); 1 on a win.

textarena seeds Python's global `random` (FrozenLake draws its holes from it); the state of
`random` and of numpy's global generator is restored after each reset and step, so an
episode leaves the rest of the process undisturbed.
"""

from __future__ import annotations

import random
import re
from contextlib import contextmanager
from typing import Any, Iterator

from assay.envs.base import Action, Environment, StepResult, ToolError
from assay.envs.registry import register_env

GAMES = ("FrozenLake-v0", "FrozenLake-v0-random", "FrozenLake-v0-hardcore", "Sokoban-v0", "Sokoban-v0-medium")
_MOVE = re.compile(r"\[\s*(up|down|left|right|w|a|s|d)\s*\]", re.IGNORECASE)


@contextmanager
def _global_rngs_kept() -> Iterator[None]:
    import numpy as np

    state, np_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(state)
        np.random.set_state(np_state)


@register_env("textarena-solo")
class TextArenaSolo(Environment):
    """A textarena single-player puzzle (`game=FrozenLake-v0` or `Sokoban-v0`)."""

    description = "textarena single-player puzzles (offline): FrozenLake, Sokoban; progress = textarena's completion"
    instructions = ("You are playing a puzzle game. Each turn, reply with exactly one move in square brackets: "
                    "[up], [down], [left] or [right].")
    checkpoints = ("moved", "solved")
    metrics = ("win", "completion", "invalid_moves")
    default_max_turns = 30

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.game = str(params.get("game", "FrozenLake-v0"))
        if self.game not in GAMES:
            raise ValueError(f"game must be one of {', '.join(GAMES)}, not {self.game!r}")
        try:
            import textarena  # noqa: F401
        except ImportError:
            raise ValueError("the textarena-solo environment needs `pip install textarena==0.7.4`") from None
        self.env: Any = None

    def reset(self, seed: int) -> str:
        import textarena as ta

        with _global_rngs_kept():
            self.env = ta.make(self.game)
            self.env.reset(num_players=1, seed=seed)
            _, self.seen = self.env.get_observation()
        self.moves = self.invalid = 0
        self.won: bool | None = None
        self.final: float | None = None
        return self.seen

    def _game(self) -> Any:
        """The textarena game under its wrappers (they pass attribute reads through)."""
        return self.env

    def _completion(self) -> float:
        if self.won:
            return 1.0
        if self.final is not None:
            return self.final
        return float(self._game()._get_percentage_completion())

    def step(self, action: Action) -> StepResult:
        match = _MOVE.search(action.text or "")
        if match is None:
            raise ToolError("reply with one move in square brackets: [up], [down], [left] or [right]")
        state = self._game().state
        errors_before = state.error_count
        with _global_rngs_kept():
            done, _ = self.env.step(f"[{match.group(1).lower()}]")
        self.moves += 1
        self.invalid += int(state.error_count > errors_before or bool(state.game_info[0].get("invalid_move")))
        if done:
            with _global_rngs_kept():
                rewards, info = self.env.close()
            reward = float(rewards.get(0, 0.0))
            self.won = reward >= 1.0
            self.final = reward if not self.won else 1.0
            reason = str(info.get(0, {}).get("reason", ""))
            return StepResult(reason, reward=float(self.won), done=True,
                              info={"outcome": "solved" if self.won else "wrong_answer", "reason": reason,
                                    "checkpoint": "solved" if self.won else "moved"})
        _, observation = self.env.get_observation()
        new = observation[len(self.seen):] if observation.startswith(self.seen) else observation
        self.seen = observation
        return StepResult(new.strip(), info={"checkpoint": "moved"})

    def progress(self) -> float:
        if self.env is None:
            return float("nan")
        return self._completion()

    def episode_metrics(self) -> dict[str, float]:
        if self.env is None:
            return {}
        return {"win": float(bool(self.won)), "completion": self._completion(), "invalid_moves": float(self.invalid)}
