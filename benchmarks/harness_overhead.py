"""Harness overhead: samples/s through task building, planning, caching, scoring and writing.

    .venv/bin/python benchmarks/harness_overhead.py            # 4 built-in MC suites, n=2000 each

The model is `assay.testing.InstantModel`, which answers at once, so everything measured is
assay's own work, on the path `assay run` takes: generating the built-in items (inside
`evaluate`), planning prompts and requests, hashing cache keys, the SQLite response cache
(a fresh file: every answer is written, and closing it is timed), multiple-choice scoring,
statistics, and writing samples.jsonl/results.json. The target (issue 7) is
at least 5,000 samples/s on a 2-core machine. Prints the median of `--repeats` runs and the
time per stage of the last one.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.tasks.resolve import resolve_tasks
from assay.testing import InstantModel

SUITES = ("arith-mc", "logic-mc", "word-mc", "fiction-mc")


def run_once(n: int, workdir: Path) -> tuple[int, dict[str, float]]:
    """Samples evaluated and seconds per stage, for one cold run (fresh cache file). The
    items are generated inside `evaluate`, as in `assay run`."""
    times: dict[str, float] = {}
    started = time.perf_counter()
    tasks = resolve_tasks([f"{s}:n={n}" for s in SUITES])
    times["resolve"] = time.perf_counter() - started
    began = time.perf_counter()
    cache = ResponseCache(workdir / f"cache-{time.time_ns()}.sqlite")
    run = evaluate(InstantModel(), tasks, cache, RunOptions(show_progress=False))
    cache.close()
    times["build+evaluate"] = time.perf_counter() - began
    began = time.perf_counter()
    run.save(workdir / f"out-{time.time_ns()}")
    times["write"] = time.perf_counter() - began
    times["total"] = time.perf_counter() - started
    samples = len(run.samples)
    assert samples == len(SUITES) * n
    return samples, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="items per suite")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rates = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            samples, times = run_once(args.n, Path(tmp))
            rates.append(samples / times["total"])
    stages = ", ".join(f"{k} {v:.2f} s" for k, v in times.items())
    print(f"{samples} samples ({len(SUITES)} MC suites): median {statistics.median(rates):,.0f} samples/s "
          f"over {args.repeats} runs (target 5,000); last run: {stages}")


if __name__ == "__main__":
    main()
