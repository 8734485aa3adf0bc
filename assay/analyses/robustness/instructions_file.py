"""Instruction variants for the models x instructions grid: read from a YAML or JSON file, or the
built-in multiple-choice ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from assay.core.task import Task, TaskKind
from assay.errors import ConfigError

_HINT = 'one line per variant, e.g. `short: "Pick the correct option."` (an empty text means no instruction)'


def load_instructions(path: str | Path) -> dict[str, str]:
    """A YAML or JSON mapping of variant name -> instruction text (at least two variants);
    errors name the file, the line where the parser knows it, and the field."""
    import yaml

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the instructions file: {exc.strerror or exc}", file=file,
                          field="--instructions") from None
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON: {exc.msg}", file=file, line=exc.lineno, hint=_HINT) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", file=file,
                          line=None if mark is None else mark.line + 1, hint=_HINT) from None
    if not isinstance(data, dict) or len(data) < 2:
        raise ConfigError("expected a mapping of at least two instruction names to their texts", file=file,
                          hint=_HINT)
    instructions = {}
    for name, value in data.items():
        if not isinstance(value, str):
            raise ConfigError(f"an instruction's text must be a string, got {type(value).__name__}", file=file,
                              field=str(name), hint=_HINT)
        if not str(name).strip():
            raise ConfigError("an instruction needs a non-empty name", file=file, field=repr(name), hint=_HINT)
        instructions[str(name).strip()] = value.strip()
    return instructions


def instructions_for(tasks: Sequence[Task], path: str | Path | None) -> dict[str, str]:
    """The file's instructions, or without one the built-in multiple-choice variants (which
    only fit multiple-choice tasks)."""
    if path is not None:
        return load_instructions(path)
    from assay.analyses.robustness.runner import MC_INSTRUCTIONS

    generative = [t.name for t in tasks if t.kind is not TaskKind.MULTIPLE_CHOICE]
    if generative:
        raise ConfigError(f"the default instructions are for multiple-choice tasks, not {', '.join(generative)}",
                          field="--instructions", hint="pass --instructions FILE with texts that fit these tasks")
    return dict(MC_INSTRUCTIONS)
