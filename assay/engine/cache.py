"""The response cache: SQLite in WAL mode, keyed by (model identity, request hash).

Every successful response is committed before it is scored, so a crash, Ctrl-C or
`kill -9` loses only the requests in flight, and rerunning the same command asks the model
for nothing it has already answered. Failed responses are never cached: a rerun retries them.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Iterable, Sequence

from assay.core.requests import Request, RequestKind
from assay.core.responses import Completion, LoglikelihoodResult, Response

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
    return Completion.from_dict(data)


class ResponseCache:
    """A persistent map (model key, request) -> response. `path=None` keeps it in memory."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = None if path is None else Path(path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(":memory:" if self.path is None else str(self.path), timeout=30.0)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against a process crash in WAL mode; only an OS crash can lose
        # the last commits, which a rerun recomputes.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(_SCHEMA)
        self._conn.commit()
        self._last_commit = time.monotonic()

    commit_every_s: float = 0.5
    """Answers are committed at most this often (and by `flush`/`close`): a commit costs about
    a millisecond, which per 64-request chunk was a quarter of the harness's own time with
    an instant model, while a crash now loses at most half a second of answers."""

    def get_many(self, model_key: str, requests: Sequence[Request]) -> dict[str, Response]:
        """Cached responses for those requests that have one, by request key."""
        found: dict[str, Response] = {}
        keys = [r.key() for r in requests]
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT key, kind, response FROM responses WHERE model = ? AND key IN ({marks})",
                [model_key, *chunk],
            )
            for key, kind, text in rows:
                found[key] = _decode(kind, text)
        return found

    def put_many(self, model_key: str, pairs: Iterable[tuple[Request, Response]]) -> int:
        """Store successful responses; returns how many were stored. They are committed
        when `commit_every_s` has passed since the last commit, or by `flush`."""
        now = time.time()
        rows = [
            (model_key, req.key(), req.kind.value, req.canonical(), json.dumps(resp.to_dict()), now)
            for req, resp in pairs
            if resp.error is None
        ]
        try:
            self._conn.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?)", rows)
        except BaseException:
            self._conn.rollback()
            raise
        if time.monotonic() - self._last_commit >= self.commit_every_s:
            self.flush()
        return len(rows)

    def flush(self) -> None:
        """Commit what `put_many` stored since the last commit."""
        self._conn.commit()
        self._last_commit = time.monotonic()

    def count(self, model_key: str | None = None) -> int:
        if model_key is None:
            return self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        return self._conn.execute("SELECT COUNT(*) FROM responses WHERE model = ?", [model_key]).fetchone()[0]

    def close(self) -> None:
        self.flush()
        self._conn.close()
