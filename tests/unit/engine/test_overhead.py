"""The harness-overhead path (benchmarks/harness_overhead.py) works end to end.

Not timed: speed targets are measured in benchmarks/, never asserted in tests.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "harness_overhead.py"


def _bench():
    spec = importlib.util.spec_from_file_location("harness_overhead", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_overhead_run_builds_scores_caches_and_writes(tmp_path):
    samples, times = _bench().run_once(5, tmp_path)
    assert samples == 5 * len(_bench().SUITES)
    assert set(times) == {"resolve", "build+evaluate", "write", "total"}
    assert list(tmp_path.glob("cache-*.sqlite"))
    out = next(tmp_path.glob("out-*"))
    assert (out / "samples.jsonl").read_text().count("\n") == samples
    assert (out / "results.json").exists()
