"""A run directory: `samples.jsonl` (one line per sample) + `results.json`, written from and
read back into a `Run`.

`results.json` is `Run.to_dict()` (without samples); runs written by older versions, whose
tasks have no `scorers` or `generation` keys, read back with those empty.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterator

from assay.core.results import SampleRecord
from assay.core.run import Run
from assay.errors import ConfigError

_REQUIRED_SAMPLE_FIELDS = ("task", "sample_id", "scores")


def _clean(value: Any) -> Any:
    """JSON has no NaN: failed scores are written as null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _line(value: Any, **options: Any) -> str:
    """`value` as JSON with NaN written as null. Most records hold no NaN: `allow_nan=False`
    finds that out at C speed, and only the rest take the slower walk through `_clean`."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, **options)
    except ValueError:
        return json.dumps(_clean(value), ensure_ascii=False, **options)


def write_run_dir(run: Run, directory: str | Path) -> Path:
    """Write `samples.jsonl` and `results.json` under `directory` (each atomically: a temp
    file, then a rename) and return the directory."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "samples.jsonl.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        for record in run.samples:
            fh.write(_line(record.to_dict()) + "\n")
    tmp.replace(out / "samples.jsonl")
    tmp = out / "results.json.tmp"
    tmp.write_text(_line(run.to_dict(), indent=2), encoding="utf-8")
    tmp.replace(out / "results.json")
    return out


def sample_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line of a `samples.jsonl` with its line number, as a JSON object; a line
    that is not one is an error naming the file and line (shared by loading and `verify`)."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"invalid JSON: {exc.msg}", file=path, line=number) from None
            if not isinstance(row, dict):
                raise ConfigError("a sample line must be a JSON object", file=path, line=number)
            yield number, row


def load_run_dir(path: str | Path) -> Run:
    """Load OUT/results.json and OUT/samples.jsonl into a `Run`; errors name the file, line and field."""
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
    if not isinstance(results["tasks"], dict):
        raise ConfigError("'tasks' must be a mapping of task name to its summary", file=results_file, field="tasks")
    samples = [_record(row, samples_file, number) for number, row in sample_lines(samples_file)]
    try:
        return Run.from_dict(results, samples, path=root)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ConfigError(f"malformed run summary: {exc}", file=results_file) from None


def _record(row: dict[str, Any], file: Path, line: int) -> SampleRecord:
    for name in _REQUIRED_SAMPLE_FIELDS:
        if name not in row:
            raise ConfigError("missing field", file=file, line=line, field=name)
    if not isinstance(row["scores"], dict):
        raise ConfigError("must be a mapping of metric to value", file=file, line=line, field="scores")
    for metric, value in row["scores"].items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ConfigError(f"a score must be a number or null, not {value!r}", file=file, line=line,
                              field=f"scores.{metric}")
    for name in ("tokens_in", "tokens_out", "latency_s"):
        value = row.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ConfigError(f"must be a number, not {value!r}", file=file, line=line, field=name)
    try:
        return SampleRecord.from_dict(row)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad value: {exc}", file=file, line=line) from None
