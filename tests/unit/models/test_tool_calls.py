"""Tool calls read from a chat template's own syntax (what the in-process llama.cpp adapter
returns as native `tool_calls`): Hermes/Qwen `<tool_call>` tags, a bare or fenced JSON call
(Qwen2.5-Coder's habit), only for offered tools; templates get arguments as objects."""

from __future__ import annotations

import json

from assay.models.tool_calls import read_tool_calls, template_messages

TOOLS = [{"type": "function", "function": {"name": "calculator", "parameters": {"type": "object"}}},
         {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


def test_tagged_calls_become_native_calls() -> None:
    text = ('Let me compute.\n<tool_call>\n{"name": "calculator", "arguments": {"expression": "2*3"}}\n</tool_call>\n'
            '<tool_call>{"name": "lookup", "arguments": "{\\"key\\": \\"x\\"}"}</tool_call>')
    rest, calls = read_tool_calls(text, TOOLS)
    assert rest == "Let me compute."
    assert calls == (("call_0", "calculator", '{"expression": "2*3"}'), ("call_1", "lookup", '{"key": "x"}'))


def test_a_whole_reply_json_call_bare_or_fenced() -> None:
    for text in ('{"name": "calculator", "arguments": {"expression": "1+1"}}',
                 '```json\n{"name": "calculator", "arguments": {"expression": "1+1"}}\n```'):
        assert read_tool_calls(text, TOOLS) == ("", (("call_0", "calculator", '{"expression": "1+1"}'),))


def test_text_and_unknown_tools_stay_text() -> None:
    for text in ("The answer is 6.", '{"name": "search", "arguments": {}}', "<tool_call>{not json}</tool_call>",
                 'Use {"name": "calculator"} next time.'):
        assert read_tool_calls(text, TOOLS) == (text, ())


def test_template_messages_give_arguments_as_objects() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": json.dumps({"x": 1})}}
    out = template_messages([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "", "tool_calls": [call]}])
    assert out[0] == {"role": "user", "content": "hi"}
    assert out[1]["tool_calls"][0]["function"]["arguments"] == {"x": 1}
    assert call["function"]["arguments"] == '{"x": 1}'  # the caller's message is left as it was
