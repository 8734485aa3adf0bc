"""The results store: every run's manifest, metrics and per-sample rows in one SQL database.

SQLite by default (one file, `$ASSAY_HOME/store.sqlite`, no set-up; WAL so `assay serve`
reads while `assay run` writes), any SQLAlchemy URL on request
(`postgresql+psycopg://user@host/db` for a team). The tables are in `assay.store.schema`.

Secrets are scrubbed on the way in (`assay.store.scrub`). A run is keyed by its run id;
saving a run id again replaces it, so `assay import` is idempotent. `load()` gives back the
same `Run` that `load_run_dir` reads from a run directory, so every analysis works on either.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from sqlalchemy import and_, create_engine, delete, event, func, insert, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from assay.core.results import SampleRecord
from assay.core.run import Run
from assay.errors import AssayError, ConfigError, MissingDependencyError
from assay.store.rundir import load_run_dir
from assay.store.schema import SCHEMA_VERSION, meta_table, metadata, metrics_table, runs_table, samples_table
from assay.store.scrub import scrub_results

_INSERT_BATCH = 2000
_SCHEMA_LOCK = 0x61737361  # the PostgreSQL advisory-lock key of schema creation ("assa")


class StoreError(AssayError):
    """The results store could not be opened, read or written (names the store, hides passwords)."""


@dataclass(frozen=True)
class RunInfo:
    """One row of `assay runs`: what a run is, without its samples."""

    run_id: str
    model: str
    started: str | None
    finished: str | None
    saved_at: str
    source: str | None
    assay_version: str | None
    n_tasks: int
    n_samples: int
    n_failed: int
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class MetricRow:
    run_id: str
    model: str
    started: str | None
    task: str
    metric: str
    position: int
    value: float
    n: int
    stderr: float
    ci_low: float
    ci_high: float
    method: str
    n_failed: int


def default_store_location() -> str:
    """`$ASSAY_STORE` when set, else `$ASSAY_HOME/store.sqlite`."""
    from assay.paths import assay_home

    return os.environ.get("ASSAY_STORE") or str(assay_home() / "store.sqlite")


def store_url(location: str | Path | None = None) -> str:
    """A SQLAlchemy URL from a URL, a file path (SQLite), or None (the default store)."""
    text = str(location) if location is not None else default_store_location()
    if "://" in text:
        return text
    return "sqlite:///" + str(Path(text).expanduser().resolve())


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nan_to_none(v) for v in value]
    if isinstance(value, str) and "\x00" in value:  # PostgreSQL text cannot hold NUL
        return value.replace("\x00", "\ufffd")
    return value


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _sample_row(run_id: str, position: int, record: SampleRecord) -> dict[str, Any]:
    row = _nan_to_none(record.to_dict())
    meta = row.get("metadata") or {}
    difficulty = meta.get("difficulty")
    search = "\n".join(_text(row.get(k)) for k in ("sample_id", "prompt", "response", "extracted", "target"))
    return {
        "run_id": run_id, "position": position, "task": str(row["task"]), "format": row.get("format"),
        "sample_id": str(row["sample_id"]), "prompt": row.get("prompt"), "response": row.get("response"),
        "extracted": row.get("extracted"), "target": row.get("target"), "scores": row.get("scores") or {},
        "error": row.get("error"), "sample_metadata": meta,
        "family": meta.get("family") if isinstance(meta.get("family"), str) else None,
        "difficulty": None if difficulty is None else str(difficulty),
        "tokens_in": row.get("tokens_in"), "tokens_out": row.get("tokens_out"),
        "latency_s": row.get("latency_s"), "cached": row.get("cached"), "row": row, "search": search,
    }


class ResultsStore:
    """A results store at a SQLAlchemy URL (see `store_url`); tables are created on first use."""

    def __init__(self, location: str | Path | None = None) -> None:
        self.url = store_url(location)
        try:
            url = make_url(self.url)
        except ArgumentError as exc:
            raise ConfigError(f"not a database URL or path: {exc}", field="--store") from None
        self.display_url = url.render_as_string(hide_password=True)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            with self._errors("create"):
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(url)
        except ModuleNotFoundError as exc:
            raise MissingDependencyError(exc.name or "a database driver", f"the store {self.display_url}",
                                         extra="postgres" if url.get_backend_name() == "postgresql" else None) from None
        if url.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        with self._errors("open"), self.engine.begin() as conn:
            if url.get_backend_name() == "postgresql":
                # Several machines opening a fresh store at once would race to create the tables
                # and the version row (duplicate-key errors); one transaction-scoped lock
                # makes the first create them and the others find them.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
            metadata.create_all(conn)
            found = conn.execute(select(meta_table.c.value).where(meta_table.c.name == "schema_version")).scalar()
            if found is None:
                conn.execute(insert(meta_table).values(name="schema_version", value=str(SCHEMA_VERSION)))
            elif int(found) > SCHEMA_VERSION:
                raise StoreError(f"the store {self.display_url} has schema version {found}, newer than this "
                                 f"assay's {SCHEMA_VERSION}: upgrade assay")

    def _errors(self, action: str) -> "_StoreErrors":
        return _StoreErrors(f"could not {action} the results store {self.display_url}")

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "ResultsStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def save(self, run: Run, source: str | None = None) -> RunInfo:
        """Store a run (replacing a stored run with the same id) and return its summary.
        `source` is where it came from (default: the run's directory, if it has one)."""
        results = scrub_results(_nan_to_none(run.to_dict()))
        run_id = run.run_id
        results["run_id"] = run_id
        manifest = results.get("manifest") or {}
        metric_rows = [
            {"run_id": run_id, "task": name, "metric": metric, "position": position, "value": _finite(m.value),
             "n": m.n, "stderr": _finite(m.stderr), "ci_low": _finite(m.ci_low), "ci_high": _finite(m.ci_high),
             "method": m.method, "n_failed": m.n_failed}
            for name, task in run.tasks.items()
            for position, (metric, m) in enumerate(task.metrics.items())
        ]
        if source is None and run.path is not None:
            source = str(run.path)
        run_row = {
            "run_id": run_id, "model": run.model, "started": manifest.get("started"),
            "finished": manifest.get("finished"), "saved_at": _now(), "source": source,
            "assay_version": manifest.get("assay_version"), "n_tasks": len(run.tasks),
            "n_samples": len(run.samples), "n_failed": run.n_failed,
            "manifest": manifest, "results": {k: v for k, v in results.items() if k != "manifest"},
        }
        with self._errors("write to"), self.engine.begin() as conn:
            self._delete(conn, run_id)
            conn.execute(insert(runs_table), [run_row])
            if metric_rows:
                conn.execute(insert(metrics_table), metric_rows)
            batch: list[dict[str, Any]] = []
            for position, record in enumerate(run.samples):
                batch.append(_sample_row(run_id, position, record))
                if len(batch) >= _INSERT_BATCH:
                    conn.execute(insert(samples_table), batch)
                    batch = []
            if batch:
                conn.execute(insert(samples_table), batch)
        return self.run(run_id)

    def import_dir(self, path: str | Path) -> RunInfo:
        """Store the run in an `assay run` output directory."""
        return self.save(load_run_dir(path), source=str(Path(path).resolve()))

    def delete(self, run_id: str) -> None:
        with self._errors("write to"), self.engine.begin() as conn:
            self._delete(conn, self.resolve_id(run_id))

    @staticmethod
    def _delete(conn: Any, run_id: str) -> None:
        for table in (samples_table, metrics_table, runs_table):
            conn.execute(delete(table).where(table.c.run_id == run_id))

    # -- reading ---------------------------------------------------------------------------

    def runs(self, model: str | None = None, limit: int | None = None) -> list[RunInfo]:
        """Stored runs, newest first."""
        query = select(runs_table.c.run_id, runs_table.c.model, runs_table.c.started, runs_table.c.finished,
                       runs_table.c.saved_at, runs_table.c.source, runs_table.c.assay_version,
                       runs_table.c.n_tasks, runs_table.c.n_samples, runs_table.c.n_failed, runs_table.c.results)
        if model is not None:
            query = query.where(runs_table.c.model == model)
        query = query.order_by(func.coalesce(runs_table.c.started, runs_table.c.saved_at).desc(),
                               runs_table.c.run_id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._errors("read"), self.engine.connect() as conn:
            return [_run_info(row) for row in conn.execute(query)]

    def resolve_id(self, run_id: str) -> str:
        """The stored run id equal to `run_id`, or the only one starting with it."""
        with self._errors("read"), self.engine.connect() as conn:
            exact = conn.execute(select(runs_table.c.run_id).where(runs_table.c.run_id == run_id)).scalar()
            if exact is not None:
                return str(exact)
            pattern = select(runs_table.c.run_id).where(runs_table.c.run_id.startswith(run_id, autoescape=True))
            found = list(conn.execute(pattern.limit(3)).scalars())
        if len(found) == 1:
            return str(found[0])
        if not found:
            raise StoreError(f"no run '{run_id}' in the store {self.display_url} (see `assay runs`)")
        raise StoreError(f"'{run_id}' matches several runs ({', '.join(found)}, ...): give more of the id")

    def run(self, run_id: str) -> RunInfo:
        run_id = self.resolve_id(run_id)
        with self._errors("read"), self.engine.connect() as conn:
            row = conn.execute(select(runs_table.c.run_id, runs_table.c.model, runs_table.c.started,
                                      runs_table.c.finished, runs_table.c.saved_at, runs_table.c.source,
                                      runs_table.c.assay_version, runs_table.c.n_tasks, runs_table.c.n_samples,
                                      runs_table.c.n_failed, runs_table.c.results)
                               .where(runs_table.c.run_id == run_id)).one()
        return _run_info(row)

    def manifest(self, run_id: str) -> dict[str, Any]:
        run_id = self.resolve_id(run_id)
        with self._errors("read"), self.engine.connect() as conn:
            value = conn.execute(select(runs_table.c.manifest).where(runs_table.c.run_id == run_id)).scalar()
        return dict(value or {})

    def load(self, run_id: str) -> Run:
        """The stored run (its summaries, manifest and every sample, in order) as a `Run`."""
        run_id = self.resolve_id(run_id)
        with self._errors("read"), self.engine.connect() as conn:
            head = conn.execute(select(runs_table.c.results, runs_table.c.manifest, runs_table.c.source)
                                .where(runs_table.c.run_id == run_id)).one()
            rows = conn.execute(select(samples_table.c.row).where(samples_table.c.run_id == run_id)
                                .order_by(samples_table.c.position)).scalars()
            samples = [SampleRecord.from_dict(r) for r in rows]
        results = dict(head.results)
        results["manifest"] = dict(head.manifest or {})
        return Run.from_dict(results, samples, path=Path(head.source) if head.source else None)

    def metrics(self, run_ids: Sequence[str] | None = None) -> list[MetricRow]:
        """Metric rows (of the given runs, else of every run), with each run's model and start."""
        query = (select(metrics_table, runs_table.c.model, runs_table.c.started)
                 .join(runs_table, runs_table.c.run_id == metrics_table.c.run_id))
        if run_ids is not None:
            query = query.where(metrics_table.c.run_id.in_([self.resolve_id(r) for r in run_ids]))
        query = query.order_by(metrics_table.c.run_id, metrics_table.c.task, metrics_table.c.position)
        with self._errors("read"), self.engine.connect() as conn:
            return [MetricRow(r.run_id, r.model, r.started, r.task, r.metric, r.position, _float(r.value),
                              int(r.n or 0), _float(r.stderr), _float(r.ci_low), _float(r.ci_high),
                              r.method or "", int(r.n_failed or 0)) for r in conn.execute(query)]

    def samples(self, run_id: str, *, task: str | None = None, query: str | None = None,
                offset: int = 0, limit: int = 50) -> tuple[list[SampleRecord], int]:
        """One page of a run's samples and how many match in all.

        `query` matches, case-insensitively, a substring of the id, prompt, response,
        extracted answer or target."""
        run_id = self.resolve_id(run_id)
        where = [samples_table.c.run_id == run_id]
        if task:
            where.append(samples_table.c.task == task)
        if query:
            where.append(samples_table.c.search.icontains(query, autoescape=True))
        with self._errors("read"), self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(samples_table).where(and_(*where))).scalar_one()
            rows = conn.execute(select(samples_table.c.row).where(and_(*where)).order_by(samples_table.c.position)
                                .offset(max(0, offset)).limit(max(1, limit))).scalars()
            return [SampleRecord.from_dict(r) for r in rows], int(total)

    def sample(self, run_id: str, task: str, sample_id: str, format: str | None = None) -> SampleRecord | None:
        """One sample, or None. With several formats of one item, `format` picks one."""
        run_id = self.resolve_id(run_id)
        where = [samples_table.c.run_id == run_id, samples_table.c.task == task,
                 samples_table.c.sample_id == sample_id]
        if format is not None:
            where.append(samples_table.c.format == format)
        with self._errors("read"), self.engine.connect() as conn:
            row = conn.execute(select(samples_table.c.row).where(and_(*where))
                               .order_by(samples_table.c.position).limit(1)).scalar()
        return None if row is None else SampleRecord.from_dict(row)

    def models(self) -> list[str]:
        with self._errors("read"), self.engine.connect() as conn:
            return sorted(conn.execute(select(runs_table.c.model).distinct()).scalars())


class _StoreErrors:
    """Context manager: SQLAlchemy and OS errors become one `StoreError` with the (safe) URL."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: object) -> bool:
        if exc is None or isinstance(exc, AssayError):
            return False
        if isinstance(exc, (SQLAlchemyError, OSError)):
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
            raise StoreError(f"{self.message}: {detail}") from exc
        return False


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _run_info(row: Any) -> RunInfo:
    tasks = tuple((row.results or {}).get("tasks", {}))
    return RunInfo(row.run_id, row.model, row.started, row.finished, row.saved_at, row.source,
                   row.assay_version, int(row.n_tasks), int(row.n_samples), int(row.n_failed), tasks)


def save_run_dir(path: str | Path, location: str | Path | None = None) -> RunInfo:
    """Store the run directory `path` in the store at `location` (default: the default store)."""
    with ResultsStore(location) as store:
        return store.import_dir(path)


def load_run(path_or_id: str | Path, store: ResultsStore | str | Path | None = None) -> Run:
    """A saved run: `path_or_id` is a run directory, or else a run id (or a unique prefix of
    one) in `store` (a `ResultsStore`, a store location, or None for the default store)."""
    if Path(path_or_id).is_dir():
        return load_run_dir(path_or_id)
    if isinstance(store, ResultsStore):
        return store.load(str(path_or_id))
    with ResultsStore(store) as opened:
        return opened.load(str(path_or_id))


def load_runs(specs: Sequence[str | Path], location: str | Path | None = None) -> list[Run]:
    """`load_run` of each spec, opening the store (once) only when a spec is not a directory."""
    runs: list[Run] = []
    store: ResultsStore | None = None
    try:
        for spec in specs:
            if Path(spec).is_dir():
                runs.append(load_run_dir(spec))
                continue
            if store is None:
                store = ResultsStore(location)
            runs.append(store.load(str(spec)))
    finally:
        if store is not None:
            store.close()
    return runs
