"""Whether two run directories hold the same results: the identity check of sharded and resumed runs.

A run sharded over Ray actors, resumed from the cache with another worker count, or failed
over between model servers must produce the same `results.json` and `samples.jsonl` as a
single-process run. Only fields that record *how* a run was executed (when, how fast, on
which machine, from the cache or not) may differ; they are listed once, in `IGNORED`, and
everything else is compared exactly (a float must be bit-identical once written as JSON).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.errors import ConfigError
from assay.store.rundir import sample_lines

IGNORED: dict[str, tuple[str, ...]] = {
    # results.json: the run's id, its manifest (start/finish times, host, command, executor and
    # worker counts, cache path, retries), and each task's request counters (cache hits and
    # model seconds differ between a fresh and a resumed run).
    "results.json": ("run_id", "manifest", "tasks.*.requests"),
    # samples.jsonl: the run's id, wall-clock and metered usage of the answer (timing, CPU,
    # energy, memory: they depend on batch composition and on the machine), and whether the
    # answer came from the response cache. In a multi-step transcript, each response's usage.
    "samples.jsonl": ("run_id", "latency_s", "cached", "metadata.ttft_s", "metadata.tpot_s", "metadata.cpu_s",
                      "metadata.energy_j", "metadata.energy_kind", "metadata.energy_source", "metadata.peak_rss_mb",
                      "metadata.gpu_peak_mb", "metadata.transcript.*.responses.*.usage"),
}
"""Every field `verify_runs` leaves out, by file, as dotted paths (`*`: every key or item)."""


@dataclass
class Verification:
    """The outcome of comparing run A with run B: `identical`, and each difference as
    `(file, where, value in A, value in B)` (the first `max_differences` kept)."""

    a: Path
    b: Path
    samples_compared: int = 0
    differences: list[tuple[str, str, Any, Any]] = field(default_factory=list)
    n_differences: int = 0

    @property
    def identical(self) -> bool:
        return self.n_differences == 0


def _drop(value: Any, path: list[str]) -> Any:
    """`value` without the field at `path` (a copy where something is dropped)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        keys = list(value) if head == "*" else [head]
        out = dict(value)
        for key in keys:
            if key not in out:
                continue
            if rest:
                out[key] = _drop(out[key], rest)
            else:
                del out[key]
        return out
    if isinstance(value, list) and head == "*":
        return [_drop(v, rest) if rest else None for v in value]
    return value


def strip_ignored(value: dict[str, Any], file: str) -> dict[str, Any]:
    """`value` (a results.json or one samples.jsonl line) without the fields `IGNORED` lists for `file`."""
    for dotted in IGNORED[file]:
        value = _drop(value, dotted.split("."))
    return value


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _diff(a: Any, b: Any, where: str, out: list[tuple[str, Any, Any]], rtol: float = 0.0) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            _diff(a.get(key, "<absent>"), b.get(key, "<absent>"), f"{where}.{key}" if where else str(key), out, rtol)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            _diff(x, y, f"{where}[{i}]", out, rtol)
    elif rtol > 0 and _number(a) and _number(b):
        if not math.isclose(a, b, rel_tol=rtol, abs_tol=rtol):
            out.append((where, a, b))
    elif type(a) is not type(b) or a != b:
        out.append((where, a, b))


def _read_results(root: Path) -> dict[str, Any]:
    path = root / "results.json"
    if not path.exists():
        raise ConfigError("not a run directory (missing file)", file=path, hint="pass two --out directories of `assay run`")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON: {exc.msg}", file=path, line=exc.lineno) from None


def _read_samples(root: Path) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Each sample line by (task, format, sample_id); a repeated key is an error (a duplicate answer)."""
    path = root / "samples.jsonl"
    if not path.exists():
        raise ConfigError("not a run directory (missing file)", file=path, hint="pass two --out directories of `assay run`")
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for number, row in sample_lines(path):
        if "task" not in row or "sample_id" not in row:
            raise ConfigError("a sample line needs 'task' and 'sample_id'", file=path, line=number, field="sample_id")
        key = (str(row["task"]), str(row.get("format", "")), str(row["sample_id"]))
        if key in rows:
            raise ConfigError(f"sample {key[2]!r} of task {key[0]!r} appears twice", file=path, line=number,
                              field="sample_id")
        rows[key] = row
    return rows


def verify_runs(a: str | Path, b: str | Path, max_differences: int = 50, rtol: float = 0.0) -> Verification:
    """Compare run directories `a` and `b` field by field, leaving out only `IGNORED`.
    Samples are matched by (task, format, sample id), so their order may differ.

    `rtol` 0 (the default) asks for bit-identical numbers, which a batch-invariant backend
    gives (llama.cpp in process, a server answering one request at a time). A backend that
    pads batches (hf) moves log-likelihoods by ~1e-6 relative with the batch's make-up, in
    one process as across shards: compare such runs with `rtol=1e-5`; a flipped answer
    (`extracted`, a score) still counts."""
    root_a, root_b = Path(a), Path(b)
    result = Verification(root_a, root_b)
    found: list[tuple[str, str, Any, Any]] = []
    diffs: list[tuple[str, Any, Any]] = []
    _diff(strip_ignored(_read_results(root_a), "results.json"), strip_ignored(_read_results(root_b), "results.json"),
          "", diffs, rtol)
    found.extend(("results.json", w, x, y) for w, x, y in diffs)
    samples_a, samples_b = _read_samples(root_a), _read_samples(root_b)
    for key in list(samples_a) + [k for k in samples_b if k not in samples_a]:
        name = f"{key[0]}/{key[2]}" + (f"@{key[1]}" if key[1] not in ("", "default") else "")
        if key not in samples_b or key not in samples_a:
            found.append(("samples.jsonl", name, "present" if key in samples_a else "<absent>",
                          "present" if key in samples_b else "<absent>"))
            continue
        result.samples_compared += 1
        diffs = []
        _diff(strip_ignored(samples_a[key], "samples.jsonl"), strip_ignored(samples_b[key], "samples.jsonl"), "", diffs,
              rtol)
        found.extend(("samples.jsonl", f"{name}: {w}", x, y) for w, x, y in diffs)
    result.n_differences = len(found)
    result.differences = found[:max_differences]
    return result
