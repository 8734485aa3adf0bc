"""Find the program in a model's answer: a fenced code block or bare code, checked to parse.

Separate from the scorer because it is pure text work: no sandbox, no files.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from enum import Enum

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_PYTHON_TAGS = {"", "python", "py", "python3"}


class ExtractStatus(str, Enum):
    OK = "ok"
    EMPTY = "empty_answer"
    SYNTAX = "syntax_error"
    SEVERAL = "several_blocks"


@dataclass(frozen=True)
class Extraction:
    """The code found (`code`), whether it was fenced, and a status with its explanation."""

    status: ExtractStatus
    code: str
    fenced: bool
    message: str = ""


def _defines(code: str, name: str) -> bool:
    return re.search(rf"^\s*(?:async\s+)?def\s+{re.escape(name)}\s*\(", code, re.MULTILINE) is not None


def _syntax_error(code: str) -> str | None:
    try:
        ast.parse(code)
    except SyntaxError as exc:
        return f"not valid Python: {exc.msg} (line {exc.lineno})"
    except ValueError as exc:  # null bytes
        return f"not valid Python: {exc}"
    return None


def extract_code(answer: str, entry_point: str | None = None, prefix: str = "") -> Extraction:
    """The program in `answer`.

    Fenced blocks tagged python (or untagged) win over bare text. With several blocks, the
    one that defines `entry_point` is taken when exactly one does; otherwise the answer is
    ambiguous (`several_blocks`). Bare text is taken whole. `prefix` (the problem's
    signature, for completion-style answers) is put before the code when parsing, so a
    function body alone still parses.
    """
    if not answer or not answer.strip():
        return Extraction(ExtractStatus.EMPTY, "", False, "the answer is empty")
    tagged = [m.group(2) for m in _FENCE.finditer(answer) if m.group(1).lower() in _PYTHON_TAGS]
    blocks = [b for b in tagged if b.strip()]
    if tagged and not blocks:
        return Extraction(ExtractStatus.EMPTY, "", True, "the code block is empty")
    fenced = bool(blocks)
    if len(blocks) > 1:
        defining = [b for b in blocks if entry_point and _defines(b, entry_point)]
        if len(defining) == 1:
            code, note = defining[0], f"{len(blocks)} code blocks; took the one defining {entry_point}"
        elif len(defining) > 1 and len({d.strip() for d in defining}) == 1:
            code, note = defining[0], f"{len(blocks)} code blocks, the same definition repeated"
        else:
            which = f"{len(defining)} define {entry_point}" if entry_point else "no entry point to choose by"
            return Extraction(ExtractStatus.SEVERAL, "\n\n".join(blocks), True,
                              f"{len(blocks)} code blocks and {which}: cannot tell which is the answer")
    elif blocks:
        code, note = blocks[0], ""
    else:
        code, note = answer, "no code block; the answer taken as bare code"
    if not code.strip():
        return Extraction(ExtractStatus.EMPTY, "", fenced, "the code block is empty")
    program = code if entry_point and _defines(code, entry_point) else prefix + code
    error = _syntax_error(program)
    if error is not None:
        return Extraction(ExtractStatus.SYNTAX, code, fenced, error)
    return Extraction(ExtractStatus.OK, code, fenced, note)
