"""Write a run to its directory: `samples.jsonl` (one line per sample) and `results.json`."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from assay.engine.run import RunResult


def _clean(value: Any) -> Any:
    """JSON has no NaN: failed scores are written as null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def write_run(run: RunResult, out_dir: str | Path) -> Path:
    """Write both files (atomically: a temp file then rename) and return the directory."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "samples.jsonl.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        for record in run.results.records:
            fh.write(json.dumps(_clean(record.to_dict()), ensure_ascii=False) + "\n")
    tmp.replace(out / "samples.jsonl")
    tmp = out / "results.json.tmp"
    tmp.write_text(json.dumps(_clean(run.to_dict()), indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out / "results.json")
    return out
