"""`load_jsonl_mc`: a bare JSONL file of multiple-choice questions, runnable without YAML.

One JSON object per line:

    {"question": "2 + 2 = ?", "choices": ["3", "4", "5"], "answer": 1}

`answer` is the right option's index (an integer), its letter ("B"), or its text ("4").
A text answer that is also a letter naming a *different* option (choices ["B", "A"],
answer "A") is refused as ambiguous rather than guessed. An optional "id" names the
sample (default "<name>-<row>", rows counted from 0); every other key goes to metadata.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from assay.core.sample import Sample
from assay.core.task import Task, TaskKind
from assay.errors import DataError
from assay.scoring.multiple_choice import MultipleChoiceScorer
from assay.tasks.loaders import load_rows
from assay.tasks.yaml_task import LoadOnce, file_sha256, mc_target_index

_REQUIRED = ("question", "choices", "answer")


def _answer_index(answer: Any, choices: list[str]) -> int:
    """Index, letter or text to an index (ValueError says why not)."""
    if isinstance(answer, bool) or not isinstance(answer, (int, str)):
        raise ValueError(f"answer must be an index, a letter or an option's text, got {answer!r}")
    if isinstance(answer, int):
        return mc_target_index(answer, choices, "index")
    by_text = answer if answer in choices else None
    stripped = answer.strip()
    is_letter = len(stripped) == 1 and "A" <= stripped.upper() <= "Z"
    if by_text is not None:
        index = choices.index(by_text)
        if is_letter and ord(stripped.upper()) - 65 < len(choices) and ord(stripped.upper()) - 65 != index:
            raise ValueError(
                f"answer {answer!r} is ambiguous: it is option {index}'s text and the letter of option "
                f"{ord(stripped.upper()) - 65}; give the index instead"
            )
        return index
    if is_letter:
        return mc_target_index(stripped, choices, "letter")
    return mc_target_index(answer, choices, "text")


def _sample(name: str, position: int, row: dict[str, Any], file: Path, line: int) -> Sample:
    for key in _REQUIRED:
        if key not in row:
            raise DataError(
                f"the row has no '{key}'", file=file, line=line, field=key,
                hint='each line needs {"question": ..., "choices": [...], "answer": ...}',
            )
    question, choices, answer = row["question"], row["choices"], row["answer"]
    if not isinstance(question, str) or not question.strip():
        raise DataError("question must be non-empty text", file=file, line=line, field="question")
    if not isinstance(choices, list) or len(choices) < 2:
        raise DataError("choices must be a list of at least 2 options", file=file, line=line, field="choices")
    if any(not isinstance(c, (str, int, float)) or isinstance(c, bool) for c in choices):
        raise DataError("each option must be text (or a number)", file=file, line=line, field="choices")
    options = [str(c) for c in choices]
    try:
        target = _answer_index(answer, options)
    except ValueError as exc:
        raise DataError(str(exc), file=file, line=line, field="answer") from None
    sample_id = f"{name}-{position}"
    if "id" in row:
        if not isinstance(row["id"], (str, int)) or isinstance(row["id"], bool):
            raise DataError("id must be text or an integer", file=file, line=line, field="id")
        sample_id = str(row["id"])
    metadata = {k: v for k, v in row.items() if k not in (*_REQUIRED, "id")}
    return Sample(id=sample_id, input=question, target=target, choices=tuple(options), metadata=metadata)


def _samples(name: str, file: Path) -> tuple[Sample, ...]:
    samples: list[Sample] = []
    first_line: dict[str, int] = {}
    for position, (line, row) in enumerate(load_rows(file)):
        sample = _sample(name, position, row, file, line)
        if sample.id in first_line:
            raise DataError(f"id {sample.id!r} repeats the row on line {first_line[sample.id]}", file=file, line=line, field="id")
        first_line[sample.id] = line
        samples.append(sample)
    return tuple(samples)


def load_jsonl_mc(path: str | Path, *, name: str | None = None) -> Task:
    """A multiple-choice task from a bare JSONL file, named after the file unless `name`.

    The file is read and every row checked now, so a bad row fails before a model loads.
    """
    file = Path(path)
    if file.suffix.lower() != ".jsonl":
        raise DataError("a bare multiple-choice file must be .jsonl", file=file)
    task_name = name or re.sub(r"[^A-Za-z0-9_.\-]+", "-", file.stem).strip("-") or "jsonl"
    load = LoadOnce(lambda: _samples(task_name, file))
    load()
    return Task(
        name=task_name,
        version="1",
        kind=TaskKind.MULTIPLE_CHOICE,
        load=load,
        scorers=(MultipleChoiceScorer(),),
        family="file",
        description=f"multiple choice from {file.name}",
        source={"file": str(file), "sha256": file_sha256(file), "format": "jsonl-mc"},
    )
