"""Read a run directory (`samples.jsonl` + `results.json`) back into typed data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.errors import ConfigError

_REQUIRED_SAMPLE_FIELDS = ("task", "sample_id", "scores")


@dataclass(frozen=True)
class SavedRun:
    """A finished run as written by `assay run`: its results dict and per-sample rows."""

    path: Path
    results: dict[str, Any]
    samples: list[dict[str, Any]]

    @property
    def model(self) -> str:
        return str(self.results.get("model", "?"))

    @property
    def run_id(self) -> str:
        return str(self.results.get("run_id", self.path.name))

    def task_metrics(self, task: str) -> list[str]:
        return list(self.results.get("tasks", {}).get(task, {}).get("metrics", {}))

    def rows(self, task: str) -> list[dict[str, Any]]:
        return [r for r in self.samples if r["task"] == task]


def load_run_dir(path: str | Path) -> SavedRun:
    """Load OUT/results.json and OUT/samples.jsonl; errors name the file, line and field."""
    root = Path(path)
    results_file, samples_file = root / "results.json", root / "samples.jsonl"
    for f in (results_file, samples_file):
        if not f.exists():
            raise ConfigError("not a run directory (missing file)", file=f,
                              hint="pass the --out directory of an `assay run`")
    try:
        results = json.loads(results_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON: {exc.msg}", file=results_file, line=exc.lineno) from None
    if not isinstance(results, dict) or "tasks" not in results:
        raise ConfigError("no 'tasks' in results", file=results_file, field="tasks")
    samples = []
    with samples_file.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"invalid JSON: {exc.msg}", file=samples_file, line=number) from None
            for name in _REQUIRED_SAMPLE_FIELDS:
                if name not in row:
                    raise ConfigError("missing field", file=samples_file, line=number, field=name)
            samples.append(row)
    return SavedRun(root, results, samples)
