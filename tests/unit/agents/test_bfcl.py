"""BFCL items (bfcl-eval, offline) as an environment, checked by BFCL's own AST checker: an
agent making each item's first possible answer passes every item; wrong arguments fail."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("bfcl_eval.constants.enums", reason="pip install --no-deps bfcl-eval==2026.3.23 (make setup)")

from assay.agents.tasks import make_env_task  # noqa: E402
from assay.engine.cache import ResponseCache  # noqa: E402
from assay.engine.run import RunOptions, evaluate  # noqa: E402
from assay.envs.bfcl import load_items  # noqa: E402
from assay.testing.instant import InstantModel  # noqa: E402
from tests.support.scripted_agents import bfcl_oracle  # noqa: E402


def _answers(category: str) -> dict[str, list]:
    items, truth = load_items(category)
    return {"\n".join(m["content"] for m in it["question"][0] if m["role"] == "user"): truth[it["id"]] for it in items}


def test_bfcl_ships_its_items_and_answers() -> None:
    items, truth = load_items("simple_python")
    assert len(items) >= 400 and set(truth) == {it["id"] for it in items}


@pytest.mark.parametrize("category", ["simple_python", "multiple", "parallel"])
def test_first_possible_answer_passes_bfcl_ast_checker(tmp_path: Path, category: str) -> None:
    task = make_env_task("bfcl", {"n": 15, "category": category, "max_turns": 6})
    run = evaluate(InstantModel(reply=bfcl_oracle(_answers(category))), [task], ResponseCache(tmp_path / "c.sqlite"),
                   RunOptions(show_progress=False))
    failed = [(r.prompt, r.metadata["episode"]) for r in run.samples if r.scores["ast_valid"] != 1.0]
    assert not failed, failed[:2]


def test_wrong_arguments_fail_the_ast_check(tmp_path: Path) -> None:
    task = make_env_task("bfcl", {"n": 5, "category": "simple_python"})

    def no_call(request):  # type: ignore[no-untyped-def]
        return "The answer is 42."

    run = evaluate(InstantModel(reply=no_call), [task], ResponseCache(tmp_path / "c.sqlite"), RunOptions(show_progress=False))
    assert all(r.scores["ast_valid"] == 0.0 and r.metadata["episode"]["outcome"] == "wrong_answer" for r in run.samples)
