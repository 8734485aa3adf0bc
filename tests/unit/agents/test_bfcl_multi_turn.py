"""BFCL's multi-turn categories (bfcl-eval, offline) as an environment: every call runs on
BFCL's own simulators and the episode is scored by BFCL's own `multi_turn_checker` (state
and execution-response checks after each user turn). An agent replaying the ground-truth
calls passes every item it plays; one that leaves out the last call of each turn fails,
with progress (turns passed) below 1."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("bfcl_eval.constants.enums", reason="pip install --no-deps bfcl-eval==2026.3.23 (make setup)")

from assay.agents.tasks import make_env_task  # noqa: E402
from assay.engine.cache import ResponseCache  # noqa: E402
from assay.engine.run import RunOptions, evaluate  # noqa: E402
from assay.envs.bfcl_multi_turn import BFCLMultiTurn, load_multi_turn_items  # noqa: E402
from assay.envs.base import Action  # noqa: E402
from assay.testing.instant import InstantModel  # noqa: E402
from tests.support.scripted_agents import bfcl_multi_turn_oracle, bfcl_multi_turn_script  # noqa: E402


def _scripts(category: str, *, skip_last: bool = False) -> dict[str, list[str]]:
    items, truth = load_multi_turn_items(category)
    return {"\n".join(m["content"] for m in it["question"][0] if m["role"] == "user"):
            bfcl_multi_turn_script(it, truth[it["id"]], skip_last=skip_last) for it in items}


def _run(tmp_path: Path, category: str, n: int, **kw):  # type: ignore[no-untyped-def]
    task = make_env_task("bfcl-multi-turn", {"n": n, "category": category})
    return evaluate(InstantModel(reply=bfcl_multi_turn_oracle(_scripts(category, **kw))), [task],
                    ResponseCache(tmp_path / f"{category}{kw}.sqlite"), RunOptions(show_progress=False))


def test_bfcl_ships_the_multi_turn_items() -> None:
    for category in ("base", "miss_func", "miss_param", "long_context"):
        items, truth = load_multi_turn_items(category)
        assert len(items) == 200 and set(truth) == {it["id"] for it in items}
    items, _ = load_multi_turn_items("miss_func")
    assert all(it["missed_function"] for it in items)  # held-out docs are not offered at the start
    assert not {d["name"] for held in items[0]["missed_function"].values() for d in held} & {
        d["name"] for d in items[0]["function"]}


@pytest.mark.parametrize("category,n", [("base", 8), ("miss_func", 4), ("miss_param", 4), ("long_context", 2)])
def test_replaying_the_ground_truth_passes_bfcl_state_checks(tmp_path: Path, category: str, n: int) -> None:
    run = _run(tmp_path, category, n)
    failed = [(r.id, r.metadata["episode"]["explanation"], r.metadata["trajectory"][-1]) for r in run.samples
              if r.scores["state_valid"] != 1.0]
    assert not failed, failed[:2]
    for r in run.samples:
        assert r.metadata["episode"]["outcome"] == "solved" and r.scores["progress"] == 1.0
        calls = [s for s in r.metadata["trajectory"] if s.get("action", {}).get("tool")]
        assert calls and all("observation" in s for s in calls)  # each call answered by the simulator


def test_leaving_out_a_call_per_turn_fails(tmp_path: Path) -> None:
    run = _run(tmp_path, "base", 6, skip_last=True)
    assert all(r.scores["state_valid"] == 0.0 and r.metadata["episode"]["outcome"] == "wrong_answer"
               for r in run.samples)
    assert all(r.scores["progress"] < 1.0 for r in run.samples)


def test_a_held_out_function_is_offered_at_its_turn() -> None:
    env = BFCLMultiTurn(category="miss_func")
    env.reset(0)  # multi_turn_miss_func_0: `sort` is held out until turn 4
    assert "sort" not in {t["function"]["name"] for t in env.tools}
    for _ in range(3):
        observation = env.step(Action(text="Done.")).observation
    assert observation.endswith("I have updated some more functions you can choose from. What about now?")
    assert '"name": "sort"' in observation and "sort" in {t["function"]["name"] for t in env.tools}


def test_calls_change_the_simulator_state_and_episodes_do_not_share_it() -> None:
    env = BFCLMultiTurn(category="base")
    env.reset(0)  # multi_turn_base_0: a file system with document/final_report.pdf
    assert "document" in env.step(Action(tool="ls", arguments={})).observation
    env.step(Action(tool="cd", arguments={"folder": "document"}))
    env.step(Action(tool="mkdir", arguments={"dir_name": "temp"}))
    assert "temp" in env.step(Action(tool="ls", arguments={})).observation
    env.reset(0)  # a fresh file system: the directory made before is gone
    assert "temp" not in env.step(Action(tool="ls", arguments={})).observation
    assert "No such file or directory" in env.step(Action(tool="cd", arguments={"folder": "nowhere"})).observation
    env.step(Action(text="Done."))
    metrics = env.episode_metrics()  # stopped after one of four turns: BFCL's force-terminated, fails
    assert metrics["state_valid"] == 0.0 and env.progress() < 1.0
