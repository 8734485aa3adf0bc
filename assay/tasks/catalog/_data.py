"""Where a catalog task's rows come from: a local copy, else the Hugging Face Hub.

A local copy lives at `DATA_DIR/<directory>/<split>.jsonl` (or `.parquet`), in the Hub
dataset's own columns, where DATA_DIR is `--data-dir` or the `ASSAY_DATA` environment
variable. Without one, the rows come from the Hub through `datasets` (cached by it after
the first download). With neither, `BenchmarkDataMissing` says which task, which file was
looked for and how to get it; it is raised while the task is built, before any model loads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.errors import ConfigError

DATA_ENV = "ASSAY_DATA"
LOCAL_SUFFIXES = (".jsonl", ".parquet")
_OFFLINE_ENV = ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE")


@dataclass(frozen=True)
class HubSource:
    """A split of a Hub dataset, and where its local copy goes (`directory`/`split`.jsonl)."""

    path: str
    config: str | None
    split: str
    directory: str

    @property
    def label(self) -> str:
        return f"hf:{self.path}" + (f"/{self.config}" if self.config else "") + f" ({self.split})"

    def local_name(self) -> str:
        return f"{self.directory}/{self.split}.jsonl"


class BenchmarkDataMissing(ConfigError):
    """A catalog task's data is neither in a local copy nor reachable on the Hub."""


def data_dir(explicit: str | Path | None = None) -> Path | None:
    """The local data folder: `explicit`, else `$ASSAY_DATA`, else None."""
    chosen = explicit if explicit is not None else os.environ.get(DATA_ENV)
    return Path(chosen).expanduser() if chosen else None


def local_file(source: HubSource, directory: Path | None) -> Path | None:
    """The local copy of `source` under `directory`, if there is one."""
    if directory is None:
        return None
    stem = directory / source.directory / source.split
    for suffix in LOCAL_SUFFIXES:
        candidate = stem.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def _hub_offline() -> bool:
    return any(os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on") for name in _OFFLINE_ENV)


def _missing(task: str, source: HubSource, directory: Path | None, why: str) -> BenchmarkDataMissing:
    where = (directory / source.local_name()) if directory is not None else Path(f"${DATA_ENV}") / source.local_name()
    return BenchmarkDataMissing(
        f"no data for catalog task '{task}': looked for {where} ({why})",
        field=task,
        hint=(f"online, assay downloads {source.label} itself; offline, save that split's rows as JSONL "
              f"(its own columns) at {source.local_name()} under --data-dir or ${DATA_ENV} "
              "(docs/benchmarks.md, 'Data')"),
    )


def load_source_rows(task: str, source: HubSource, directory: Path | None) -> tuple[list[dict[str, Any]], str]:
    """The rows of `source` and a label saying where they came from (a path or hf:...)."""
    from assay.tasks.loaders import load_hf_rows, load_rows

    found = local_file(source, directory)
    if found is not None:
        return [row for _, row in load_rows(found)], str(found)
    if _hub_offline():
        raise _missing(task, source, directory, "no local copy, and the Hub is switched off (HF_*_OFFLINE)")
    try:
        import datasets  # noqa: F401
    except ImportError:
        raise _missing(task, source, directory, "no local copy, and the 'datasets' package is not installed") from None
    try:
        rows = load_hf_rows(source.path, source.config, source.split)
    except ConfigError as exc:
        raise _missing(task, source, directory, f"no local copy, and the Hub failed: {exc.message}") from None
    return [row for _, row in rows], source.label
