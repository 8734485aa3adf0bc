"""A multi-step run killed with SIGKILL resumes from the cache and gives the same result as
an uninterrupted run (engine v2, issue 21): finished steps replay without a model call."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.support.killed_runs import cached_rows, start_run


def _start(cache: Path, out: Path) -> subprocess.Popen:
    return start_run("tests.support.multistep_run", cache, out)


def test_sigkill_mid_run_then_rerun_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    reference = tmp_path / "reference.json"
    proc = _start(tmp_path / "ref.sqlite", reference)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    expected = json.loads(reference.read_text())
    assert expected["model_requests"] == 240 and all(steps == 2 for *_, steps in expected["rows"])

    cache = tmp_path / "killed.sqlite"
    proc = _start(cache, tmp_path / "never.json")
    deadline = time.monotonic() + 60
    while cached_rows(cache) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    kept = cached_rows(cache)
    assert 60 <= kept < 240, kept  # killed part-way, with committed answers
    assert not (tmp_path / "never.json").exists()

    resumed = tmp_path / "resumed.json"
    proc = _start(cache, resumed)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    got = json.loads(resumed.read_text())
    assert got["rows"] == expected["rows"]  # same responses, scores and steps
    assert got["model_requests"] == 240 - kept  # finished steps replayed from the cache
