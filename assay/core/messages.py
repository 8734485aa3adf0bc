"""`ChatMessage`: one turn of a conversation, as chat models take them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


ToolCall = tuple[str, str, str]
"""One native tool call: (call id, tool name, arguments as the JSON text the model wrote)."""


@dataclass(frozen=True)
class ChatMessage:
    """A turn. An assistant turn may carry native `tool_calls`; a "tool" turn answers the
    call `tool_call_id`. Both are left out of `to_dict` when unset, so plain turns (and the
    cache keys of requests made of them) are unchanged."""

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] | None = None
    tool_call_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls is not None:  # the OpenAI chat format
            data["tool_calls"] = [{"id": i, "type": "function", "function": {"name": n, "arguments": a}}
                                  for i, n, a in self.tool_calls]
        if self.tool_call_id is not None:
            data["tool_call_id"] = self.tool_call_id
        return data
