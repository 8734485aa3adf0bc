"""An lm-eval file to tasks: a task file gives one, a group file (`group:` with a `task:`
list) gives each member.

A member is a task or group name, found among the lm-eval YAML files in the group file's
folder and below (as lm-eval's `--include_path` would find it), or a mapping: `task: NAME`
plus keys that override that task's (e.g. `num_fewshot`), or a whole inline task config.
`aggregate_metric_list` is accepted; assay reports each member task with its own CIs.
"""

from __future__ import annotations

from pathlib import Path

from assay.core.task import Task
from assay.errors import TaskSpecError
from assay.tasks.lm_eval.build import build_task
from assay.tasks.lm_eval.config import GROUP_KEYS, Located, RawConfig, check_keys, is_group, looks_like_lm_eval, read_config


def _index(folder: Path, skip: Path) -> dict[str, Path]:
    """Task and group names defined by lm-eval files under `folder`."""
    names: dict[str, Path] = {}
    for path in sorted([*folder.rglob("*.yaml"), *folder.rglob("*.yml")]):
        if path.resolve() == skip or not looks_like_lm_eval(path):
            continue
        try:
            config = read_config(path)
        except TaskSpecError:
            continue  # a broken file is reported if and when a group names it
        name = config.get("group") if is_group(config) else config.get("task")
        if isinstance(name, str):
            names.setdefault(name, path)
    return names


def _member(group: RawConfig, item: object, index: dict[str, Path], seen: tuple[Path, ...]) -> list[Task]:
    file, line = group.where("task")
    if isinstance(item, str):
        if item not in index:
            raise TaskSpecError(f"group member '{item}' is not defined by any lm-eval YAML file under {file.parent}",
                                file=file, line=line, field="task",
                                hint="put the member's task file next to the group file (or below it)")
        return _load(index[item], seen)
    if isinstance(item, dict) and isinstance(item.get("task"), str):
        name = item["task"]
        if name in index:
            base = read_config(index[name])
            if is_group(base):
                raise TaskSpecError(f"overriding keys of the group '{name}' is not supported", file=file, line=line, field="task")
        else:
            base = RawConfig(file)
        for key, value in item.items():
            base.entries[str(key)] = Located(value, file, line)
        return [build_task(base)]
    raise TaskSpecError(f"a group's task list holds names or mappings with 'task:', got {item!r:.80}", file=file, line=line, field="task")


def _load(path: Path, seen: tuple[Path, ...] = ()) -> list[Task]:
    path = path.resolve()
    if path in seen:
        raise TaskSpecError("group cycle: " + " -> ".join(str(p) for p in (*seen, path)), file=seen[-1], field="task")
    config = read_config(path)
    if not is_group(config):
        return [build_task(config)]
    check_keys(config, GROUP_KEYS)
    index = _index(path.parent, path)
    tasks: list[Task] = []
    for item in config.get("task"):
        for task in _member(config, item, index, (*seen, path)):
            if task.name not in {t.name for t in tasks}:
                tasks.append(task)
    return tasks


def load_lm_eval_file(path: str | Path) -> list[Task]:
    """Every task an lm-eval task or group file defines, with its prompts built and checked."""
    return _load(Path(path))
