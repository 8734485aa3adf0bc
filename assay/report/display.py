"""How values read on a page: an option index as "C. 52", rounded log-probabilities, percents."""

from __future__ import annotations

import math
from typing import Any

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def display_value(value: Any, metadata: dict[str, Any] | None = None) -> str:
    """A response, answer or target as a person reads it: an option index becomes
    "C. 52" when the item's choices are known; log-probabilities are rounded."""
    choices = (metadata or {}).get("choices")
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int) and isinstance(choices, list) and 0 <= value < len(choices):
        letter = _LETTERS[value] if value < len(_LETTERS) else str(value)
        return f"{letter}. {choices[value]}"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return "[" + ", ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in value) + "]"
        return ", ".join(display_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {display_value(v)}" for k, v in value.items())
    return str(value)


def metric_text(summary: Any, x: float | None, digits: int = 1) -> str:
    """One number of a metric summary (value, CI bound or stderr) as a page shows it: a
    percentage for proportions, four significant digits for raw-scale metrics (perplexity)."""
    if getattr(summary, "is_proportion", True):
        return percent(x, digits)
    if x is None or not math.isfinite(x):
        return "—"
    return f"{x:.4g}"


def percent(x: float | None, digits: int = 1) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{100 * x:.{digits}f}"


def step_views(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """A multi-step sample's steps (`metadata["transcript"]`, written by the engine) as a page
    shows them: which model, what was asked (prompt, conversation or scored continuation)
    and what came back (text, or log-prob)."""
    views: list[dict[str, Any]] = []
    transcript = metadata.get("transcript")
    if not isinstance(transcript, list):
        return views
    for number, step in enumerate(transcript, start=1):
        if not isinstance(step, dict):
            continue
        asked, answered = [], []
        for request in step.get("requests") or []:
            if request.get("kind") == "loglikelihood":
                asked.append(f"{request.get('context', '')}⟨{request.get('continuation', '')}⟩")
            elif request.get("messages"):
                asked.append("\n".join(f"[{m.get('role')}] {m.get('content')}" for m in request["messages"]))
            else:
                asked.append(str(request.get("prompt") or ""))
        for response in step.get("responses") or []:
            if "logprob" in response:
                answered.append(f"log-prob {display_value(response.get('logprob'))}")
            else:
                answered.append(" | ".join(response.get("texts") or []))
        views.append({"number": number, "model": step.get("model", ""), "asked": asked, "answered": answered})
    return views
