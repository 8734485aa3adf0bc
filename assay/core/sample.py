"""`Sample`: one evaluation item, with nothing model-specific in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Union

from assay.core.messages import ChatMessage

Target = Union[str, int, float, tuple[str, ...]]
"""What counts as right: a choice index for multiple choice, else an answer text
(or several acceptable texts), or a number."""


@dataclass(frozen=True)
class Sample:
    """One item of a task.

    `input` is the question text (with any passage it needs) or a chat conversation.
    For multiple choice, `choices` holds the option texts and `target` the index of the
    right one. `metadata` carries skills, difficulty, group id (for clustered errors) and
    anything a checker needs; it must be JSON-serialisable.
    """

    id: str
    input: str | tuple[ChatMessage, ...]
    target: Target
    choices: tuple[str, ...] | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_multiple_choice(self) -> bool:
        return self.choices is not None

    @property
    def group(self) -> str | None:
        """Cluster id for clustered standard errors (items sharing a passage/template)."""
        value = self.metadata.get("group")
        return None if value is None else str(value)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "target": self.target, "metadata": dict(self.metadata)}
        if isinstance(self.input, str):
            data["input"] = self.input
        else:
            data["input"] = [m.to_dict() for m in self.input]
        if self.choices is not None:
            data["choices"] = list(self.choices)
        return data
