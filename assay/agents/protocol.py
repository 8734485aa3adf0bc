"""The text tool-call protocol, for backends without native tool calls.

The tools are printed in the system prompt as their OpenAI JSON schemas, and the model
answers either with one JSON object `{"tool": NAME, "arguments": {...}}` (also accepted:
`{"name": ..., "arguments": ...}` and Qwen/Hermes-style `<tool_call>...</tool_call>`
tags, what small chat models were trained to write) or with plain text, its reply or final
answer. A reply that tries to be a tool call but is not valid JSON is an `invalid_json`
error; a call to a tool not offered is `unknown_tool`; arguments failing the tool's schema
are `bad_arguments` (checked with `jsonschema`, the reference validator).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import jsonschema

from assay.envs.base import Action

_TAG = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_FENCE = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S)


@dataclass(frozen=True)
class ParseError:
    """A reply that could not become an action: `kind` is one of the correctable agent errors."""

    kind: str
    message: str


def tools_prompt(tools: Sequence[Mapping[str, Any]]) -> str:
    """The text-protocol instructions listing the tools (empty when there are none)."""
    if not tools:
        return ""
    listed = "\n".join(json.dumps(t["function"], sort_keys=True) for t in tools)
    return ("You can call these tools (JSON schemas):\n" + listed + "\n\nTo call a tool, reply with only one JSON "
            'object: {"tool": "<name>", "arguments": {...}}. The result comes back in the next message. When you '
            "know the final answer, reply with it in plain text, without JSON.")


def _candidate(text: str) -> str | None:
    """The part of a reply that is meant as a tool call, if any."""
    tag = _TAG.search(text)
    if tag:
        return tag.group(1)
    fence = _FENCE.search(text)
    if fence and ('"tool"' in fence.group(1) or '"name"' in fence.group(1)):
        return fence.group(1)
    stripped = text.strip()
    if stripped.startswith("{") or re.match(r'^\{?\s*"(tool|name)"\s*:', stripped):
        return stripped
    return None


def parse_reply(text: str, tools: Sequence[Mapping[str, Any]]) -> Action | ParseError:
    """One model reply as an action under the text protocol (see the module docstring)."""
    if not tools:
        return Action(text=text)
    candidate = _candidate(text)
    if candidate is None:
        return Action(text=text)
    start = candidate.find("{")
    try:
        obj, _ = json.JSONDecoder().raw_decode(candidate[start:] if start >= 0 else candidate)
    except json.JSONDecodeError as exc:
        return ParseError("invalid_json", f"your tool call is not valid JSON ({exc.msg} at char {exc.pos})")
    if not isinstance(obj, dict) or not isinstance(obj.get("tool", obj.get("name")), str):
        return ParseError("invalid_json", 'a tool call must be a JSON object {"tool": "<name>", "arguments": {...}}')
    arguments: Any = obj.get("arguments", obj.get("parameters", obj.get("args", {})))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            return ParseError("invalid_json", f"the arguments are not valid JSON ({exc.msg})")
    return check_call(str(obj.get("tool", obj.get("name"))), arguments, tools)


def check_call(name: str, arguments: Any, tools: Sequence[Mapping[str, Any]]) -> Action | ParseError:
    """A named call with its arguments, checked against the offered tools' schemas."""
    by_name = {t["function"]["name"]: t["function"] for t in tools}
    spec = by_name.get(name)
    if spec is None:
        return ParseError("unknown_tool", f"there is no tool named {name!r}; the tools are: {', '.join(sorted(by_name))}")
    if not isinstance(arguments, dict):
        return ParseError("bad_arguments", f"the arguments of {name} must be a JSON object")
    try:
        jsonschema.validate(arguments, spec.get("parameters", {"type": "object"}))
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "arguments"
        return ParseError("bad_arguments", f"arguments of {name} fail its schema at {where}: {exc.message}")
    return Action(tool=name, arguments=arguments)
