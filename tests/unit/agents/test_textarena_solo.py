"""textarena's single-player puzzles (offline) as environments: a shortest-path solver wins
every FrozenLake and Sokoban episode it plays, with progress 1; a walker that stops short or
walks into walls loses with textarena's own partial completion as its progress (BALROG's
progress beyond win or lose); episodes replay identically from their seed; a reply without a
bracketed move is a correctable agent error, never passed to the game."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

pytest.importorskip("textarena", reason="pip install textarena==0.7.4")

from assay.agents.tasks import make_env_task  # noqa: E402
from assay.engine.cache import ResponseCache  # noqa: E402
from assay.engine.run import RunOptions, evaluate  # noqa: E402
from assay.envs.base import Action  # noqa: E402
from assay.envs.textarena_solo import TextArenaSolo  # noqa: E402
from assay.testing.instant import InstantModel  # noqa: E402
from tests.support.scripted_agents import frozenlake_solver, sokoban_solver  # noqa: E402


def _run(tmp_path: Path, reply, **options):  # type: ignore[no-untyped-def]
    task = make_env_task("textarena-solo", options)
    return evaluate(InstantModel(reply=reply), [task], ResponseCache(tmp_path / f"{len(list(tmp_path.iterdir()))}.sqlite"),
                    RunOptions(show_progress=False))


@pytest.mark.parametrize("game,solver", [("FrozenLake-v0", frozenlake_solver), ("Sokoban-v0", sokoban_solver)])
def test_a_solver_wins_every_episode(tmp_path: Path, game: str, solver) -> None:  # type: ignore[no-untyped-def]
    run = _run(tmp_path, solver, n=4, game=game)
    for r in run.samples:
        assert r.metadata["episode"]["outcome"] == "solved", r.metadata["trajectory"][-1]
        assert r.scores["win"] == 1.0 and r.scores["progress"] == 1.0 and r.scores["invalid_moves"] == 0.0


def test_stopping_short_scores_partial_progress() -> None:
    """FrozenLake seed 3 (holes at (1,0), (2,1), (2,2)): three steps right to (0,3), then into
    the top wall twice — the first is forgiven with a warning, the second ends the game.
    (0,3) is 3 of the 6 steps to the goal: textarena's completion, and the progress, is 1/2."""
    env = TextArenaSolo(game="FrozenLake-v0")
    env.reset(3)
    results = [env.step(Action(text=move)) for move in ("[right]", "[right]", "[right]", "[up]", "[up]")]
    assert [r.done for r in results] == [False, False, False, False, True]
    assert "You attempted an invalid move" in results[3].observation
    assert results[-1].info["outcome"] == "wrong_answer" and results[-1].reward == 0.0
    assert env.progress() == pytest.approx(0.5)
    assert env.episode_metrics() == {"win": 0.0, "completion": pytest.approx(0.5), "invalid_moves": 2.0}


def test_sokoban_progress_counts_boxes_on_targets(tmp_path: Path) -> None:
    run = _run(tmp_path, lambda r: "[left]", n=3, game="Sokoban-v0")
    for r in run.samples:  # walking left hits a wall: textarena ends the game on the second one
        assert r.metadata["episode"]["outcome"] == "wrong_answer" and r.scores["win"] == 0.0
        assert r.scores["progress"] in (0.0, 1 / 3, 2 / 3)  # a share of the 3 boxes


def test_episodes_replay_from_their_seed_and_keep_the_global_rng(tmp_path: Path) -> None:
    random.seed(7)
    expected = random.random()
    random.seed(7)
    first = _run(tmp_path, frozenlake_solver, n=3, game="FrozenLake-v0")
    assert random.random() == expected  # textarena's seeding did not leak out
    again = _run(tmp_path, frozenlake_solver, n=3, game="FrozenLake-v0")
    assert [r.metadata["trajectory"] for r in first.samples] == [r.metadata["trajectory"] for r in again.samples]
    boards = {r.metadata["trajectory"][0]["observation"] for r in first.samples}
    assert len(boards) > 1  # different seeds, different lakes


def test_a_reply_without_a_move_is_a_correctable_error(tmp_path: Path) -> None:
    replies = iter(["I think I should go down.", "[down]"])

    def chatty_then_solver(request):  # type: ignore[no-untyped-def]
        return next(replies, None) or frozenlake_solver(request)

    run = _run(tmp_path, chatty_then_solver, n=1, game="FrozenLake-v0")
    (r,) = run.samples
    assert r.metadata["trajectory"][1]["error"]["kind"] == "tool_error"
    assert r.scores["errors"] == 1.0 and r.scores["correction"] == 1.0
