"""Native tool calls read from a chat template's own syntax, for in-process backends.

A hosted OpenAI-compatible server returns tool calls as structured `tool_calls`; a GGUF run
in-process renders the tools with the model's own chat template and the model answers in
that template's syntax. This module does for the in-process adapter what llama.cpp's server
does with `--jinja` for Hermes-style templates (Qwen 2.5, Hermes, SmolLM3): it reads
`<tool_call>{"name": ..., "arguments": {...}}</tool_call>` blocks, and a reply that is
nothing but one such JSON object (bare or in a ```json fence, which Qwen2.5-Coder writes),
into `(id, name, arguments JSON)` triples. Only names of offered tools count; anything else
stays text, for the agent loop to judge. Hand-written: llama-cpp-python parses no template
syntax (its `chatml-function-calling` format generates calls under a grammar instead).
"""

from __future__ import annotations

import json
import re
from typing import Any, Sequence

ToolCall = tuple[str, str, str]
_TAG = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)


def _call(obj: Any, names: set[str], index: int) -> ToolCall | None:
    if not isinstance(obj, dict) or obj.get("name") not in names:
        return None
    arguments = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            return None
    return (f"call_{index}", str(obj["name"]), json.dumps(arguments, ensure_ascii=False))


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def read_tool_calls(text: str, tools: Sequence[dict]) -> tuple[str, tuple[ToolCall, ...]]:
    """(the reply's text outside the calls, the calls) of a model reply in a Hermes-style
    template; no calls when none names an offered tool."""
    names = {t.get("function", {}).get("name") for t in tools}
    tagged = [_call(_json(m.group(1)), names, i) for i, m in enumerate(_TAG.finditer(text))]
    if tagged and all(tagged):
        return _TAG.sub("", text).strip(), tuple(c for c in tagged if c)
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    whole = _call(_json(fenced.group(1) if fenced else stripped), names, 0)
    return ("", (whole,)) if whole else (text, ())


def template_messages(messages: list[dict]) -> list[dict]:
    """OpenAI-format messages as chat templates read them: a tool call's `arguments` as an
    object, not JSON text (templates write `arguments | tojson`; llama.cpp's server converts
    them the same way)."""
    out = []
    for message in messages:
        if message.get("tool_calls"):
            message = dict(message, tool_calls=[
                dict(c, function=dict(c["function"], arguments=_json(c["function"]["arguments"]) or {}))
                for c in message["tool_calls"]])
        out.append(message)
    return out
