"""A real run killed with SIGKILL partway resumes from the cache and ends identical.

Uses the real SmolLM2 through the `assay` command in a subprocess (as a user would).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TASK = "arith-mc:n=16,seed=5"


def _assay(*args: str) -> list[str]:
    return [sys.executable, "-m", "assay", *args]


def _cached_rows(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _scores(out: Path) -> list[tuple[str, dict]]:
    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    return [(r["sample_id"], r["scores"], r["response"]) for r in rows]


def test_sigkill_then_rerun_requests_only_what_was_missing(tmp_path: Path, smollm2_ready: None) -> None:
    cache = tmp_path / "cache.sqlite"
    args = ["run", "smollm2", TASK, "--cache", str(cache), "--quiet", "--chunk-size", "4"]
    proc = subprocess.Popen(_assay(*args, "--out", str(tmp_path / "killed")),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while _cached_rows(cache) < 16 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    cached_at_kill = _cached_rows(cache)
    total = 16 * 4
    assert 0 < cached_at_kill < total, "the kill must land partway through the run"

    done = subprocess.run(_assay(*args, "--out", str(tmp_path / "resumed")), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    requests = json.loads((tmp_path / "resumed" / "results.json").read_text())["manifest"]["requests"]
    assert requests["cache_hits"] == cached_at_kill
    assert requests["computed"] == total - cached_at_kill

    clean = subprocess.run(
        _assay("run", "smollm2", TASK, "--no-cache", "--quiet", "--out", str(tmp_path / "clean")),
        capture_output=True, text=True,
    )
    assert clean.returncode == 0, clean.stderr
    resumed, fresh = _scores(tmp_path / "resumed"), _scores(tmp_path / "clean")
    assert [(i, s) for i, s, _ in resumed] == [(i, s) for i, s, _ in fresh]
    for (_, _, a), (_, _, b) in zip(resumed, fresh):
        assert a == pytest.approx(b, abs=1e-4)
    ra = json.loads((tmp_path / "resumed" / "results.json").read_text())["tasks"]
    rb = json.loads((tmp_path / "clean" / "results.json").read_text())["tasks"]
    assert {t: v["metrics"] for t, v in ra.items()} == {t: v["metrics"] for t, v in rb.items()}
