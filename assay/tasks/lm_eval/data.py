"""The docs of an lm-eval task's splits: local files (`dataset_path: json|csv|parquet|text`
with `dataset_kwargs.data_files`) or a Hugging Face Hub dataset.

As `datasets.load_dataset` does, `data_files` given as one path or a list makes the split
`train`; a mapping names the splits. Relative paths resolve against the folder of the file
that set `dataset_kwargs`, then the working directory. JSON and JSONL keep their types and
every doc gets every column (missing ones as None), as Arrow's schema unification gives
lm-eval; CSV goes through `datasets` (which infers column types) so values match lm-eval's.
Everything is read eagerly, while tasks are resolved, so missing data fails before any model loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.errors import DataError, MissingDependencyError
from assay.tasks.lm_eval.config import RawConfig
from assay.tasks.loaders import _json, _jsonl, _network_trouble, _parquet

Docs = list[dict[str, Any]]
LOCAL_BUILDERS = ("json", "csv", "parquet", "text")
_DATA_FILES_KEYS = frozenset({"data_files", "revision", "trust_remote_code"})


def _resolve(config: RawConfig, name: str) -> Path:
    base = config.where("dataset_kwargs")[0].parent
    for candidate in (base / name, Path.cwd() / name):
        if candidate.is_file():
            return candidate.resolve()
    raise config.error(
        "dataset_kwargs", f"data file not found: {name} (looked in {base} and {Path.cwd()})",
        field_name="dataset_kwargs.data_files", hint="relative paths resolve against the task file's folder, then the working directory",
    )


def _unify(rows: Docs) -> Docs:
    """Every row with every column, in first-seen order (Arrow's schema over JSON lines)."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return [{c: row.get(c) for c in columns} for row in rows]


def _read_local(builder: str, path: Path) -> Docs:
    if builder == "json":
        text = path.read_text(encoding="utf-8-sig").lstrip()
        rows = _json(path) if text.startswith("[") else _jsonl(path)
        return _unify([row for _, row in rows])
    if builder == "parquet":
        return [row for _, row in _parquet(path)]
    if builder == "text":
        return [{"text": line} for line in path.read_text(encoding="utf-8").splitlines()]
    try:
        import datasets
    except ImportError:
        raise MissingDependencyError("datasets", "reading an lm-eval CSV dataset", extra="datasets") from None
    return [dict(r) for r in datasets.load_dataset("csv", data_files=str(path), split="train")]


def _local_splits(config: RawConfig, builder: str) -> dict[str, Docs]:
    kwargs = config.get("dataset_kwargs") or {}
    files = kwargs.get("data_files") if isinstance(kwargs, dict) else None
    if files is None:
        raise config.error("dataset_path", f"dataset_path '{builder}' needs dataset_kwargs.data_files",
                           hint="dataset_kwargs: {data_files: {test: data/test.jsonl}}")
    mapping = files if isinstance(files, dict) else {"train": files}
    splits: dict[str, Docs] = {}
    for split, names in mapping.items():
        docs: Docs = []
        for name in names if isinstance(names, list) else [names]:
            path = _resolve(config, str(name))
            try:
                docs.extend(_read_local(builder, path))
            except DataError:
                raise  # already names the file and line
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise DataError(f"cannot read as {builder}: {exc}", file=path) from None
        splits[str(split)] = docs
    return splits


def _hub_splits(config: RawConfig) -> dict[str, Docs]:
    try:
        import datasets
    except ImportError:
        raise MissingDependencyError("datasets", "loading an lm-eval task's Hugging Face dataset", extra="datasets") from None
    path, name = config.get("dataset_path"), config.get("dataset_name")
    kwargs = dict(config.get("dataset_kwargs") or {})
    kwargs.pop("trust_remote_code", None)  # datasets >= 4 runs no dataset scripts
    label = str(path) + (f"/{name}" if name else "")
    try:
        loaded = datasets.load_dataset(path, name, **kwargs)
    except Exception as exc:
        hint = ("no network and no cached copy: run once online (datasets caches it), or export the splits to "
                "JSONL and use dataset_path: json with dataset_kwargs.data_files") if _network_trouble(exc) else None
        raise config.error("dataset_path", f"cannot load Hugging Face dataset {label}: {type(exc).__name__}: {exc}", hint=hint) from None
    return {str(split): [dict(r) for r in rows] for split, rows in loaded.items()}


def load_splits(config: RawConfig) -> dict[str, Docs]:
    """Every split the task's dataset has, as lists of docs."""
    builder = config.get("dataset_path")
    if not isinstance(builder, str) or not builder:
        raise config.error("dataset_path", "dataset_path is required (a Hub id, or json/csv/parquet/text with data_files)")
    kwargs = config.get("dataset_kwargs")
    if kwargs is not None and not isinstance(kwargs, dict):
        raise config.error("dataset_kwargs", "dataset_kwargs must be a mapping")
    if builder in LOCAL_BUILDERS:
        unknown = set(kwargs or {}) - _DATA_FILES_KEYS
        if unknown:
            raise config.error("dataset_kwargs", f"unsupported dataset_kwargs key '{sorted(unknown)[0]}' for local files",
                               field_name=f"dataset_kwargs.{sorted(unknown)[0]}", hint="local files take data_files only")
        if config.get("dataset_name") is not None:
            raise config.error("dataset_name", f"dataset_name has no meaning for dataset_path '{builder}'")
        return _local_splits(config, builder)
    if Path(builder).suffix in (".json", ".jsonl", ".csv", ".parquet"):
        raise config.error("dataset_path", f"dataset_path '{builder}' looks like a file; lm-eval reads local files as "
                           "dataset_path: json (or csv, parquet, text) with dataset_kwargs.data_files")
    return _hub_splits(config)
