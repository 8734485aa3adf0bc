"""Helpers for kill-and-resume tests: start a run script as its own process, and count the
answers its response cache holds so a test knows when to kill it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_run(module: str, cache: Path, out: Path) -> subprocess.Popen:
    """`python -m MODULE CACHE OUT` from the repository root, stderr kept for the test's message."""
    return subprocess.Popen([sys.executable, "-m", module, str(cache), str(out)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def cached_rows(cache: Path) -> int:
    """Answers in the response cache so far (0 while it does not exist yet or is locked)."""
    try:
        with sqlite3.connect(cache, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    except sqlite3.Error:
        return 0
