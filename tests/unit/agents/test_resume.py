"""A killed agent run resumes mid-episode: kill -9 part-way, rerun, and every model call the
killed run had answered comes back from the cache; the records (outcomes, scores,
trajectories) equal an uninterrupted run's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.support.killed_runs import cached_rows, start_run


def _start(cache: Path, out: Path) -> subprocess.Popen:
    return start_run("tests.support.agent_run", cache, out)


def _same(a: object, b: object) -> bool:
    return json.dumps(a, sort_keys=True).replace("NaN", "null") == json.dumps(b, sort_keys=True).replace("NaN", "null")


def test_killed_agent_run_resumes_from_the_cache(tmp_path: Path) -> None:
    reference = tmp_path / "reference.json"
    proc = _start(tmp_path / "ref.sqlite", reference)
    assert proc.wait(timeout=180) == 0, proc.stderr.read()
    expected = json.loads(reference.read_text())
    total = expected["model_requests"]
    assert total > 80 and len(expected["rows"]) == 60  # 1 to 3 model calls an episode
    assert {row[1] for row in expected["rows"]} == {"solved"}

    cache = tmp_path / "killed.sqlite"
    proc = _start(cache, tmp_path / "never.json")
    deadline = time.monotonic() + 120
    while cached_rows(cache) < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    kept = cached_rows(cache)
    assert 30 <= kept < total, kept

    resumed = tmp_path / "resumed.json"
    proc = _start(cache, resumed)
    assert proc.wait(timeout=180) == 0, proc.stderr.read()
    got = json.loads(resumed.read_text())
    assert _same(got["rows"], expected["rows"])  # same outcomes, scores and trajectories
    assert got["model_requests"] == total - kept  # the killed run's steps replayed, not re-asked
