"""Task names on the command line to `Task`s: a built-in suite or group, a YAML task file,
or a bare JSONL of multiple-choice rows.

Built-in suites take options after a colon: `arith-mc:n=50,seed=3`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from assay.core.task import Task
from assay.errors import ConfigError, UnknownNameError


def _parse_options(name: str, text: str) -> dict[str, int]:
    options: dict[str, int] = {}
    for part in filter(None, text.split(",")):
        key, sep, value = part.partition("=")
        if not sep or key not in ("n", "seed"):
            raise ConfigError(f"bad option '{part}' for task '{name}'", field=key or part,
                              hint="built-in suites take n=INT and seed=INT, e.g. arith-mc:n=50,seed=1")
        try:
            options[key] = int(value)
        except ValueError:
            raise ConfigError(f"'{value}' is not an integer", field=f"{name}:{key}") from None
    return options


def resolve_task(name: str, seed: int = 0) -> list[Task]:
    """One command-line task argument to one or more tasks (a group expands)."""
    from assay.tasks.builtin import SUITE_GROUPS, builtin_suites, make_builtin

    path = Path(name)
    if path.suffix in (".yaml", ".yml"):
        from assay.tasks.yaml_task import load_task_file

        if not path.exists():
            raise ConfigError("task file not found", file=path)
        return [load_task_file(path)]
    if path.suffix == ".jsonl":
        from assay.tasks.jsonl_mc import load_jsonl_mc

        if not path.exists():
            raise ConfigError("data file not found", file=path)
        return [load_jsonl_mc(path)]

    base, _, opts = name.partition(":")
    options = _parse_options(base, opts)
    suites = builtin_suites()
    if base in SUITE_GROUPS:
        return [make_builtin(s, n=options.get("n"), seed=options.get("seed", seed)) for s in SUITE_GROUPS[base]]
    if base in suites:
        return [make_builtin(base, n=options.get("n"), seed=options.get("seed", seed))]
    raise UnknownNameError("task", name, list(suites) + list(SUITE_GROUPS) + ["PATH.yaml", "PATH.jsonl"])


def resolve_tasks(names: Sequence[str], seed: int = 0) -> list[Task]:
    tasks: list[Task] = []
    for name in names:
        for task in resolve_task(name, seed):
            if task.name in {t.name for t in tasks}:
                continue
            tasks.append(task)
    return tasks
