"""Rows from data files (JSONL, CSV, Parquet, JSON) and Hugging Face datasets, with locations.

Each row comes with the number that locates it in its source, so an error about a row can
name it: the line for JSONL and CSV (1-based; a CSV header is line 1, a quoted value
spanning lines gives the line the row starts on), the row number (1-based) for Parquet,
a JSON array and Hub datasets. CSV values are text, as written; JSONL, JSON and Parquet
values keep their types.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from assay.errors import ConfigError, DataError, MissingDependencyError

Row = tuple[int, dict[str, Any]]
"""(line or row number, the row's columns)."""


def load_rows(path: str | Path) -> list[Row]:
    """Every row of a .jsonl, .csv, .parquet or .json file (chosen by extension)."""
    path = Path(path)
    readers = {".jsonl": _jsonl, ".csv": _csv, ".parquet": _parquet, ".json": _json}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise DataError(f"unsupported data format '{path.suffix}'; use {', '.join(readers)}", file=path)
    if not path.is_file():
        raise DataError("no such data file", file=path)
    rows = reader(path)
    if not rows:
        raise DataError("the file has no rows", file=path)
    return rows


def _jsonl(path: Path) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"invalid JSON at column {exc.colno}: {exc.msg}", file=path, line=number) from None
            if not isinstance(value, dict):
                raise DataError(f"each line must be a JSON object, got {type(value).__name__}", file=path, line=number)
            rows.append((number, value))
    return rows


def _csv(path: Path) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            return rows
        width = len(reader.fieldnames)
        start = reader.line_num + 1
        for row in reader:
            if None in row:
                raise DataError(f"the row has more values than the header's {width} columns", file=path, line=start)
            missing = [k for k, v in row.items() if v is None]
            if missing:
                raise DataError("the row has fewer values than the header", file=path, line=start, field=missing[0])
            rows.append((start, dict(row)))
            start = reader.line_num + 1
    return rows


def _parquet(path: Path) -> list[Row]:
    import pyarrow.parquet as pq  # a core dependency; imported here to keep import time low

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise DataError(f"cannot read Parquet: {exc}", file=path) from None
    return list(enumerate(table.to_pylist(), start=1))


def _json(path: Path) -> list[Row]:
    try:
        value = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON at column {exc.colno}: {exc.msg}", file=path, line=exc.lineno) from None
    if not isinstance(value, list):
        raise DataError("a .json data file must be an array of objects (for one object per line, use .jsonl)", file=path)
    rows: list[Row] = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise DataError(f"row {number} must be an object, got {type(item).__name__}", file=path, line=number)
        rows.append((number, item))
    return rows


def _network_trouble(exc: BaseException) -> bool:
    # datasets and huggingface_hub wrap connection failures in many types; walk the chain.
    names = ("Connection", "Offline", "Timeout", "LocalEntryNotFound", "NameResolution", "MaxRetry")
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (ConnectionError, TimeoutError)) or any(n in type(seen).__name__ for n in names):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def load_hf_rows(name: str, config: str | None = None, split: str = "test") -> list[Row]:
    """Rows of a Hugging Face Hub dataset split, numbered from 1.

    Raises `MissingDependencyError` without the `datasets` package and `ConfigError` when
    the dataset cannot be fetched (no network and no local copy) or does not exist.
    """
    try:
        import datasets
    except ImportError:
        raise MissingDependencyError("datasets", "loading a Hugging Face dataset", extra="datasets") from None
    label = name + (f"/{config}" if config else "") + f" split '{split}'"
    try:
        dataset = datasets.load_dataset(name, config, split=split)
    except Exception as exc:
        if _network_trouble(exc):
            raise ConfigError(
                f"cannot download Hugging Face dataset {label}: {type(exc).__name__}: {exc}",
                hint="this data needs a network connection, or a local copy: run once online "
                "(it is cached after), or export it to JSONL/Parquet and point 'dataset.path' at it",
            ) from None
        raise ConfigError(f"cannot load Hugging Face dataset {label}: {type(exc).__name__}: {exc}") from None
    return [(number, dict(row)) for number, row in enumerate(dataset, start=1)]
