"""Reading an lm-evaluation-harness 0.4.x task or group YAML, with every key located.

`include:` files are merged as lm-eval merges them (shallow; the including file's keys
win; a list of includes applies in order), and each key remembers the file and line it
came from, so an error names the place to fix. Keys assay does not implement (`!function`,
`process_docs`, `process_results`, an unknown key) are refused here, with what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assay.errors import TaskSpecError
from assay.scoring.registry import did_you_mean

# What a task file may hold; each key's meaning follows lm-eval's TaskConfig.
TASK_KEYS = frozenset({
    "task", "task_alias", "tag", "group", "include",
    "dataset_path", "dataset_name", "dataset_kwargs",
    "training_split", "validation_split", "test_split", "fewshot_split",
    "doc_to_text", "doc_to_target", "doc_to_choice", "description",
    "target_delimiter", "fewshot_delimiter", "fewshot_config", "num_fewshot",
    "output_type", "generation_kwargs", "repeats", "filter_list", "metric_list",
    "should_decontaminate", "doc_to_decontamination_query", "metadata",
})
GROUP_KEYS = frozenset({"group", "group_alias", "task", "tag", "aggregate_metric_list", "metadata", "include"})

# lm-eval keys that assay refuses, and what to do instead.
UNSUPPORTED = {
    "process_docs": "process_docs runs Python; transform the data into a JSON/JSONL/Parquet file and point "
                    "dataset_path/dataset_kwargs.data_files at it",
    "process_results": "process_results runs Python; use metric_list (acc, acc_norm, exact_match) with "
                       "filter_list, or write an assay task in Python",
    "custom_dataset": "custom_dataset runs Python; export the data to a JSON/JSONL/Parquet file",
    "use_prompt": "promptsource prompts are not supported; write the prompt as a Jinja doc_to_text",
    "doc_to_image": "image inputs are not supported",
    "doc_to_audio": "audio inputs are not supported",
    "gen_prefix": "gen_prefix is not supported; end doc_to_text with the prefix instead "
                  "(note lm-eval's own spacing rules around it)",
    "unsafe_code": "tasks that execute model code are not supported in lm-eval form; use assay's code scorers",
}

# Markers that a YAML mapping is an lm-eval task rather than an assay task file.
LM_EVAL_MARKERS = frozenset({
    "dataset_path", "doc_to_text", "doc_to_target", "doc_to_choice", "output_type", "include",
    "test_split", "validation_split", "metric_list", "filter_list",
})


class _Function:
    """A `!function module.name` value: kept (not imported) so it can be refused with its line."""

    def __init__(self, name: str, line: int) -> None:
        self.name, self.line = name, line


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads `!function` into a `_Function` marker instead of running code."""


def _function(loader: yaml.SafeLoader, node: yaml.Node) -> _Function:
    return _Function(str(loader.construct_scalar(node)), node.start_mark.line + 1)  # type: ignore[arg-type]


_Loader.add_constructor("!function", _function)


@dataclass(frozen=True)
class Located:
    """A value with the file and line of the key that set it."""

    value: Any
    file: Path
    line: int | None


@dataclass
class RawConfig:
    """An lm-eval YAML after includes: key -> located value, plus the file that was named."""

    file: Path
    entries: dict[str, Located] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        entry = self.entries.get(key)
        return default if entry is None else entry.value

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def where(self, key: str) -> tuple[Path, int | None]:
        entry = self.entries.get(key)
        if entry is None:  # a missing key is reported at the file that should hold it
            return self.file, None
        return entry.file, entry.line

    def error(self, key: str, message: str, hint: str | None = None, field_name: str | None = None) -> TaskSpecError:
        file, line = self.where(key)
        return TaskSpecError(message, file=file, line=line, field=field_name or key, hint=hint)


def _read_mapping(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """One YAML file's top-level mapping and the line of each key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaskSpecError(f"cannot read the file: {exc.strerror}", file=path) from None
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise TaskSpecError(f"YAML syntax error: {problem}", file=path, line=None if mark is None else mark.line + 1) from None
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        raise TaskSpecError("an lm-eval task file is a YAML mapping of keys (task, dataset_path, doc_to_text, ...)", file=path)
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in root.value if isinstance(k, yaml.ScalarNode)}
    return data, lines


def _find_function(value: Any) -> _Function | None:
    if isinstance(value, _Function):
        return value
    if isinstance(value, dict):
        return next((f for f in map(_find_function, value.values()) if f is not None), None)
    if isinstance(value, list):
        return next((f for f in map(_find_function, value) if f is not None), None)
    return None


def read_config(path: str | Path, _seen: tuple[Path, ...] = ()) -> RawConfig:
    """The file's keys merged over its includes, each located; `!function` is refused."""
    path = Path(path).resolve()
    if path in _seen:
        raise TaskSpecError("include cycle: " + " -> ".join(str(p) for p in (*_seen, path)), file=_seen[-1], field="include")
    data, lines = _read_mapping(path)
    for key, value in data.items():
        fn = _find_function(value)
        if fn is not None:
            raise TaskSpecError(
                f"'!function {fn.name}' runs Python code from the task's folder; assay does not import code from task files",
                file=path, line=fn.line, field=str(key),
                hint="use a Jinja template (doc_to_text: \"{{question}}\"), a field name or a literal list instead; "
                     "for data processing, export the processed data to JSON/JSONL and load that",
            )
    merged = RawConfig(path)
    includes = data.get("include")
    if includes is not None:
        for item in includes if isinstance(includes, list) else [includes]:
            if not isinstance(item, str):
                raise TaskSpecError("include must name a YAML file (or a list of them)", file=path, line=lines.get("include"), field="include")
            target = Path(item) if Path(item).is_absolute() else path.parent / item
            if not target.is_file():
                raise TaskSpecError(f"included file not found: {target}", file=path, line=lines.get("include"), field="include",
                                    hint="include paths are relative to the including file's folder")
            base = read_config(target, (*_seen, path))
            base.entries.pop("task_list", None)
            merged.entries.update(base.entries)
    for key, value in data.items():
        if key == "include":
            continue
        merged.entries[str(key)] = Located(value, path, lines.get(str(key)))
    return merged


def is_group(config: RawConfig) -> bool:
    """A group file: `group:` with a list of tasks under `task:`."""
    return "group" in config and isinstance(config.get("task"), list)


def check_keys(config: RawConfig, allowed: frozenset[str]) -> None:
    """Refuse unsupported lm-eval features and unknown keys, each at its own line."""
    for key in config.entries:
        if key in allowed:
            continue
        if key in UNSUPPORTED:
            raise config.error(key, f"'{key}' is not supported by assay", hint=UNSUPPORTED[key])
        raise config.error(
            key, f"unknown key '{key}' for an lm-eval {'group' if allowed is GROUP_KEYS else 'task'} file",
            hint=did_you_mean(key, allowed) or "known keys: " + ", ".join(sorted(allowed)),
        )


def looks_like_lm_eval(path: str | Path) -> bool:
    """Whether a YAML file is an lm-eval task or group file (`task:` plus lm-eval keys, or
    a group's task list), rather than an assay task file. Unreadable files answer False, so
    assay's own loader reports the problem."""
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    if not isinstance(data, dict) or "task" not in data:
        return False
    if "group" in data and isinstance(data.get("task"), list):
        return True
    return bool(LM_EVAL_MARKERS & set(data))
