"""Write a run to its directory: `samples.jsonl` (one line per sample) and `results.json`."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from assay.core.run import Run


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


def write_run(run: Run, out_dir: str | Path) -> Path:
    """Write both files (atomically: a temp file then rename) and return the directory."""
    out = Path(out_dir)
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
