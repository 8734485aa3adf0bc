"""Native tool calls through the engine: the request carries the tools (OpenAI format, as
canonical JSON), the answer's `tool_calls` become actions checked against the schemas, and
the conversation continues in the OpenAI shape (an assistant turn with `tool_calls`, then a
"tool" turn naming the call). The scripted agent answers with tool calls the way an
OpenAI-compatible server returns them; a real server is exercised in
tests/integration/test_agents_real.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

from assay.agents.tasks import make_env_task
from assay.core.requests import Generate
from assay.core.responses import Completion, Usage
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.testing.instant import InstantModel


class NativeAgent(InstantModel):
    """Calls the calculator natively (bad JSON arguments first when `stumble`), then answers."""

    stumble: bool = False

    def generate(self, requests):  # type: ignore[no-untyped-def]
        self.calls.extend(requests)
        return [self._answer(r) for r in requests]

    def _answer(self, request: Generate) -> Completion:
        assert request.tools is not None and json.loads(request.tools)[0]["function"]["name"] == "calculator"
        last = request.messages[-1]
        if last.role == "tool" and last.content.startswith("Tool result"):
            return Completion(texts=(f"The answer is {last.content.split(': ')[1].split()[0]}.",), usage=Usage(tokens_out=5))
        if self.stumble and last.role == "user":
            return Completion(texts=("",), usage=Usage(tokens_out=5), tool_calls=(("c0", "calculator", "{expr"),))
        a, b, c = re.match(r"What is (\d+) \* (\d+) - (\d+)\?", request.messages[1].content).groups()  # type: ignore[union-attr]
        return Completion(texts=("",), usage=Usage(tokens_out=9),
                          tool_calls=(("c1", "calculator", json.dumps({"expression": f"{a}*{b}-{c}"})),))


def _run(tmp_path: Path, model: InstantModel):  # type: ignore[no-untyped-def]
    task = make_env_task("tools", {"n": 3, "kind": "arithmetic", "protocol": "native"})
    return evaluate(model, [task], ResponseCache(tmp_path / "c.sqlite"), RunOptions(show_progress=False))


def test_native_calls_solve_and_keep_the_openai_conversation_shape(tmp_path: Path) -> None:
    model = NativeAgent()
    run = _run(tmp_path, model)
    assert all(r.scores["success"] == 1.0 for r in run.samples)
    steps = run.samples[0].metadata["trajectory"]
    assert steps[1]["tool_call"]["id"] == "c1" and steps[1]["action"]["tool"] == "calculator"
    final = model.calls[-1].to_dict()["messages"]
    assert final[-2]["role"] == "assistant" and final[-2]["tool_calls"][0]["id"] == "c1"
    assert final[-1] == {"role": "tool", "content": final[-1]["content"], "tool_call_id": "c1"}
    assert "tools" in model.calls[0].to_dict()  # part of the cache key
    system = model.calls[0].messages[0].content
    assert "JSON schemas" not in system  # the tools travel with the request, not in the prompt


def test_native_call_with_invalid_json_arguments_is_corrected(tmp_path: Path) -> None:
    model = NativeAgent()
    model.stumble = True
    run = _run(tmp_path, model)
    for r in run.samples:
        kinds = [s["error"]["kind"] for s in r.metadata["trajectory"] if "error" in s]
        assert kinds == ["invalid_json"] and r.scores["correction"] == 1.0 and r.scores["success"] == 1.0
    # the error went back as the "tool" turn answering the bad call
    assert any(m.role == "tool" and m.tool_call_id == "c0" and m.content.startswith("Error")
               for m in model.calls[-1].messages)


def test_a_completion_with_tool_calls_round_trips_through_the_cache_form() -> None:
    done = Completion(texts=("",), tool_calls=(("c1", "calculator", '{"expression": "1+1"}'),))
    assert Completion.from_dict(json.loads(done.to_json())) == done
    plain = Completion(texts=("hi",))
    assert "tool_calls" not in plain.to_dict()  # earlier caches read back unchanged
