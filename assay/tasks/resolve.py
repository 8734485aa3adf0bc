"""Task names on the command line to `Task`s: a built-in suite or group, a catalog benchmark
(`assay.tasks.catalog`: mmlu, gsm8k_cot, ...), a YAML task file, or a bare JSONL of
multiple-choice rows.

Built-in suites and groups take options after a colon: `arith-mc:n=50,seed=3`, and
`style=cloze|listed` for how multiple-choice options are shown (`quick:style=listed`).
A group without `n` uses its own default (`quick`: 25 items per suite).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from assay.core.format import OptionStyle
from assay.core.task import ChoiceScoring, Task
from assay.errors import ConfigError, UnknownNameError

_OPTIONS_HINT = ("built-in suites take n=INT, seed=INT and style=cloze|listed, and multiple-choice suites "
                 "continuation=text|letter, chat_template=true|false, calibrate=true|false and norm=chars|bytes|tokens, "
                 "e.g. arith-mc:n=50,seed=1,style=listed")
_CHOICE_KEYS = ("continuation", "chat_template", "calibrate", "norm")


@dataclass(frozen=True)
class SuiteOptions:
    """What may follow a built-in suite's name: `n` items, `seed`, option `style`."""

    n: int | None = None
    seed: int | None = None
    style: OptionStyle | None = None
    scoring: ChoiceScoring | None = None


def _integer(name: str, key: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"'{value}' is not an integer", field=f"{name}:{key}", hint=_OPTIONS_HINT) from None


def _parse_options(name: str, text: str) -> SuiteOptions:
    n = seed = None
    style = None
    choice: dict[str, str] = {}
    for part in filter(None, text.split(",")):
        key, sep, value = part.partition("=")
        if sep and key == "n":
            n = _integer(name, key, value)
        elif sep and key == "seed":
            seed = _integer(name, key, value)
        elif sep and key == "style":
            try:
                style = OptionStyle(value)
            except ValueError:
                raise ConfigError(f"unknown style '{value}' for task '{name}'", field=f"{name}:style",
                                  hint="style is cloze (options not shown) or listed (options listed)") from None
        elif sep and key in _CHOICE_KEYS:
            choice[key] = value
        else:
            raise ConfigError(f"bad option '{part}' for task '{name}'", field=key or part, hint=_OPTIONS_HINT)
    return SuiteOptions(n, seed, style, _choice_scoring(name, choice) if choice else None)


def _choice_scoring(name: str, given: dict[str, str]) -> ChoiceScoring:
    """Multiple-choice scoring options from their text (the same keys as a task file's
    `multiple_choice`), validated by the task-file spec so the two never disagree."""
    from pydantic import ValidationError

    from assay.tasks.spec import ChoiceScoringSpec

    try:
        return ChoiceScoringSpec.model_validate(given).build()
    except ValidationError as exc:
        bad = exc.errors()[0]
        key = str(bad["loc"][0]) if bad["loc"] else ""
        raise ConfigError(f"bad value '{given.get(key)}' for {key} of task '{name}'", field=f"{name}:{key}",
                          hint=_OPTIONS_HINT) from None


def resolve_task(name: str, seed: int = 0) -> list[Task]:
    """One command-line task argument to one or more tasks (a group expands)."""
    from assay.tasks.builtin import SUITE_GROUPS, builtin_suites, make_builtin, make_group
    from assay.tasks.catalog import CATALOG, make_catalog_task

    path = Path(name)
    if path.suffix in (".yaml", ".yml"):
        from assay.tasks.yaml_task import load_task_file

        if not path.exists():
            raise ConfigError("task file not found", file=path)
        from assay.tasks.lm_eval import load_lm_eval_file, looks_like_lm_eval

        if looks_like_lm_eval(path):  # lm-evaluation-harness task or group file (docs/lm-eval-tasks.md)
            return load_lm_eval_file(path)
        from assay.agents.tasks import env_task_file

        env_task = env_task_file(path)  # a file with an `env:` key (docs/agents.md)
        if env_task is not None:
            return [env_task]
        return [load_task_file(path)]
    if path.suffix == ".jsonl":
        from assay.tasks.jsonl_mc import load_jsonl_mc

        if not path.exists():
            raise ConfigError("data file not found", file=path)
        return [load_jsonl_mc(path)]

    base, _, opts = name.partition(":")
    if base == "env":  # an environment (docs/agents.md): env:NAME:opt=value,...
        from assay.agents.tasks import resolve_env_task

        return [resolve_env_task(opts)]
    from assay.tasks.code_tasks import CODE_TASKS, make_code_task

    if base in CODE_TASKS:  # run in the sandbox (docs/code.md): their own options
        return [make_code_task(base, opts)]
    if base == "mt-bench":  # the built-in judged task (docs/judges.md): its own options
        from assay.tasks.mtbench import make_mt_bench

        return [make_mt_bench(opts)]
    if base in CATALOG:  # a benchmark of the catalog: its own options; data located now
        return [make_catalog_task(base, opts)]
    options = _parse_options(base, opts)
    chosen_seed = seed if options.seed is None else options.seed
    if base in SUITE_GROUPS:
        return make_group(base, n=options.n, seed=chosen_seed, style=options.style, scoring=options.scoring)
    if base in builtin_suites():
        return [make_builtin(base, n=options.n, seed=chosen_seed, style=options.style, scoring=options.scoring)]
    raise UnknownNameError("task", name, list(builtin_suites()) + list(SUITE_GROUPS) + list(CATALOG)
                           + list(CODE_TASKS) + ["PATH.yaml", "PATH.jsonl"])


def resolve_tasks(names: Sequence[str], seed: int = 0) -> list[Task]:
    tasks: list[Task] = []
    for name in names:
        for task in resolve_task(name, seed):
            if task.name in {t.name for t in tasks}:
                continue
            tasks.append(task)
    return tasks
