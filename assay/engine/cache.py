"""The response cache: SQLite in WAL mode, keyed by (model identity, request hash).

Every successful response is committed within about half a second of its answer, and
all of a task's before its scores are written, so a crash, Ctrl-C or `kill -9` loses only
the requests in flight and the last half second, and rerunning the same command asks the
model for nothing it has already answered. Failed responses are never cached: a rerun retries them.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Sequence

from assay.core.requests import Request, RequestKind
from assay.core.responses import Completion, LoglikelihoodResult, Response, RollingLoglikelihoodResult
from assay.errors import CacheWriteError

__all__ = ["CacheWriteError", "ResponseCache"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    model TEXT NOT NULL,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (model, key)
)
"""


def _decode(kind: str, text: str) -> Response:
    data = json.loads(text)
    if kind == RequestKind.LOGLIKELIHOOD.value:
        return LoglikelihoodResult.from_dict(data)
    if kind == RequestKind.LOGLIKELIHOOD_ROLLING.value:
        return RollingLoglikelihoodResult.from_dict(data)
    return Completion.from_dict(data)


_INSERT = "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?)"


class ResponseCache:
    """A persistent map (model key, request) -> response. `path=None` keeps it in memory.

    Writes go through one background thread: `put_many` encodes the rows and queues them,
    and the thread inserts and commits them while the caller goes on (sqlite3 releases the
    GIL while it works, so on two cores the insertions overlap the engine's own work; with
    an instant model they were a third of its time). Every read waits for queued writes
    first, so a reader always sees what was put. The thread commits at most every
    `commit_every_s`, and also when nothing new has arrived for that long, so a crash
    loses at most about half a second of answers."""

    commit_every_s: float = 0.5
    """Answers are committed at most this often (and by `flush`/`close`): a commit costs about
    a millisecond, which per 64-request chunk was a quarter of the harness's own time with
    an instant model."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = None if path is None else Path(path)
        target = ":memory:" if self.path is None else str(self.path)
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # Shared with the writer thread; every use holds `_lock`.
            self._conn = sqlite3.connect(target, timeout=30.0, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable against a process crash in WAL mode; only an OS crash can lose
            # the last commits, which a rerun recomputes.
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)
            self._conn.commit()
        except (OSError, sqlite3.Error) as exc:
            raise CacheWriteError(f"cannot open the response cache {target}: {exc}; pass --cache FILE with a "
                                  "writable path, or --no-cache") from None
        self._lock = threading.Lock()
        self._last_commit = time.monotonic()
        self._uncommitted = False
        self._queue: queue.Queue[list[tuple] | None] = queue.Queue(maxsize=64)  # bounds memory and loss
        self._failure: BaseException | None = None
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()  # guards starting and stopping the writer
        self._closed = False

    def get_many(self, model_key: str, requests: Sequence[Request]) -> dict[str, Response]:
        """Cached responses for those requests that have one, by request key."""
        self._drain()
        found: dict[str, Response] = {}
        keys = [r.key() for r in requests]
        with self._lock:
            if not self._conn.execute("SELECT 1 FROM responses WHERE model = ? LIMIT 1", [model_key]).fetchone():
                return found  # nothing cached for this model yet (a first run): skip the lookups
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT key, kind, response FROM responses WHERE model = ? AND key IN ({marks})",
                    [model_key, *chunk],
                ).fetchall()
                for key, kind, text in rows:
                    found[key] = _decode(kind, text)
        return found

    def put_many(self, model_key: str, pairs: Iterable[tuple[Request, Response]]) -> int:
        """Queue successful responses for storing; returns how many were queued. They are
        committed within about `commit_every_s`, and for certain by `flush` or `close`."""
        self._check()
        now = time.time()
        rows = [
            (model_key, req.key(), req.kind.value, req.canonical(), resp.to_json(), now)
            for req, resp in pairs
            if resp.error is None
        ]
        if rows:
            with self._writer_lock:  # the writer stops when idle: start one again if so
                if self._writer is None:
                    self._writer = threading.Thread(target=self._write_loop, name="assay-cache-writer", daemon=True)
                    self._writer.start()
                self._queue.put(rows)
        return len(rows)

    def flush(self) -> None:
        """Write and commit everything put so far."""
        self._drain()
        with self._lock:
            self._commit()

    def count(self, model_key: str | None = None) -> int:
        self._drain()
        with self._lock:
            if model_key is None:
                return self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
            return self._conn.execute("SELECT COUNT(*) FROM responses WHERE model = ?", [model_key]).fetchone()[0]

    def close(self) -> None:
        """Flush, stop the writer and close the file. Safe to call twice."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            with self._writer_lock:
                writer = self._writer
                if writer is not None:
                    self._queue.put(None)
            if writer is not None:
                writer.join()
            if self._uncommitted and self._failure is None:  # flush was interrupted (Ctrl-C twice)
                self._commit()
            self._conn.close()

    # -- the writer thread and its hand-off

    def _write_loop(self) -> None:
        idle = 0
        while True:
            try:
                rows = self._queue.get(timeout=self.commit_every_s)
            except queue.Empty:  # quiet for a while: commit what is waiting
                with self._lock:
                    if self._uncommitted and self._failure is None:
                        self._guarded(self._commit)
                idle += 1
                if idle >= 2:  # stop rather than hold the cache (and its file) open forever
                    with self._writer_lock:
                        if self._queue.empty():
                            self._writer = None
                            return
                continue
            idle = 0
            try:
                if rows is None:
                    return
                with self._lock:
                    if self._failure is None:
                        self._guarded(lambda: self._insert(rows))
            finally:
                self._queue.task_done()

    def _insert(self, rows: list[tuple]) -> None:
        self._conn.executemany(_INSERT, rows)
        self._uncommitted = True
        if time.monotonic() - self._last_commit >= self.commit_every_s:
            self._commit()

    def _guarded(self, work: Callable[[], None]) -> None:
        """Run a write; on failure roll back and keep the error for the caller's thread."""
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 — re-raised in the caller's thread by _check
            self._failure = exc
            try:
                self._conn.rollback()
            except sqlite3.Error:
                pass

    def _commit(self) -> None:
        self._conn.commit()
        self._uncommitted = False
        self._last_commit = time.monotonic()

    def _drain(self) -> None:
        """Wait until the writer has handled every queued write, then report its failure."""
        self._queue.join()
        self._check()

    def _check(self) -> None:
        if self._closed:
            raise CacheWriteError(f"response cache {self.path or ':memory:'} is closed")
        if self._failure is not None:
            raise CacheWriteError(
                f"writing the response cache {self.path or ':memory:'} failed: "
                f"{type(self._failure).__name__}: {self._failure}; answers since the last commit "
                "were not stored (a rerun recomputes them)"
            ) from self._failure
