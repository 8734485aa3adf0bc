"""Agents: the loops that play environments through cached engine steps, and their metrics."""

from assay.agents.episode import OUTCOME_PARTY, EpisodeOutput, EpisodeScorer
from assay.agents.games import Seats, game_solver, play_game
from assay.agents.loop import AgentConfig, Budget, react_solver, run_episode
from assay.agents.tasks import make_env_task

__all__ = ["AgentConfig", "Budget", "EpisodeOutput", "EpisodeScorer", "OUTCOME_PARTY", "Seats", "game_solver",
           "make_env_task", "play_game", "react_solver", "run_episode"]
