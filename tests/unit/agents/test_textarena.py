"""textarena's TicTacToe (offline) as a two-player environment against scripted opponents:
the first-legal-move script against itself wins on the 2-4-6 diagonal in 7 moves, episodes
replay identically from their seed, and a model seat's bracketed replies become moves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("textarena", reason="pip install textarena==0.7.4")

from assay.agents.tasks import make_env_task  # noqa: E402
from assay.engine.cache import ResponseCache  # noqa: E402
from assay.engine.run import RunOptions, evaluate  # noqa: E402
from assay.testing.instant import InstantModel  # noqa: E402


def _run(tmp_path: Path, reply, **options):  # type: ignore[no-untyped-def]
    task = make_env_task("textarena", {"max_turns": 12, **options})
    return evaluate(InstantModel(reply=reply), [task], ResponseCache(tmp_path / f"{len(list(tmp_path.iterdir()))}.sqlite"),
                    RunOptions(show_progress=False))


def test_first_move_script_against_itself(tmp_path: Path) -> None:
    run = _run(tmp_path, lambda r: "[0]", n=2, players="first+first")
    for r in run.samples:
        moves = [list(s["moves"].values())[0] for s in r.metadata["trajectory"][1:]]
        assert moves == ["[0]", "[1]", "[2]", "[3]", "[4]", "[5]", "[6]"]
        assert r.scores["win"] == 1.0 and r.scores["turns"] == 7.0


def test_random_opponent_replays_from_its_seed(tmp_path: Path) -> None:
    first = _run(tmp_path, lambda r: "[0]", n=4, players="random+random")
    again = _run(tmp_path, lambda r: "[0]", n=4, players="random+random")
    assert [r.metadata["trajectory"] for r in first.samples] == [r.metadata["trajectory"] for r in again.samples]


def test_a_model_seat_plays_bracketed_moves(tmp_path: Path) -> None:
    def last_legal(request):  # type: ignore[no-untyped-def]
        seen = [m.content for m in request.messages if m.role == "user"][-1]
        return "I play " + re.findall(r"'(\[\d+\])'", seen.rsplit("Available Moves:", 1)[-1])[-1]

    run = _run(tmp_path, last_legal, n=3)
    assert all(r.metadata["episode"]["outcome"] == "solved" and r.scores["errors"] == 0.0 for r in run.samples)
    assert all(r.scores["win"] + r.scores["draw"] + r.scores["loss"] == 1.0 for r in run.samples)
