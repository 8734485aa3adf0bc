"""What `assay run` says and returns when things go wrong (issue 21, item 6).

A permanent error stops the run at once with one message and status 2; a run in which
every sample failed exits 1 and names the first error; a cache that cannot be written is
one clear line, not a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _assay(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSAY_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "tests.support.broken_adapters", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_permanent_error_exits_2_with_its_message(tmp_path: Path) -> None:
    done = _assay("run", "refused:x", "arith-mc:n=40", "--quiet", "--chunk-size", "4", "--out", str(tmp_path / "o"),
                  home=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "error:" in done.stderr and "refused the API key (HTTP 401)" in done.stderr
    assert "hint: check the variable named by api_key_env" in done.stderr
    assert "Traceback" not in done.stderr and "rerun the same command to retry" not in done.stderr
    assert not (tmp_path / "o" / "results.json").exists()  # no table of dashes, no half run


def test_every_sample_failed_exits_1_and_names_the_error(tmp_path: Path) -> None:
    done = _assay("run", "flaky:x", "arith-mc:n=5", "--quiet", "--out", str(tmp_path / "o"), home=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "every sample failed" in done.stderr and "injected failure" in done.stderr


def test_unwritable_cache_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache's folder should be")
    done = _assay("run", "flaky:x", "arith-mc:n=2", "--quiet", "--cache", str(blocker / "c.sqlite"), home=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "error:" in done.stderr
