"""The results store's tables (SQLAlchemy Core), prefixed `assay_` so they can share a database.

    assay_meta      schema version
    assay_runs      one row per run: model, times, counts, scrubbed manifest and results
    assay_metrics   one row per (run, task, metric): value, n, stderr, CI, method
    assay_samples   one row per (run, task, format, sample): prompt, response, scores, ...

JSON columns hold what has no fixed shape (responses, scores, metadata, the manifest); the
columns a page filters or sorts on are plain. `assay_samples.row` keeps the whole
`samples.jsonl` line so that loading a run gives back exactly what was saved.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text

SCHEMA_VERSION = 1

metadata = MetaData()

meta_table = Table(
    "assay_meta", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
runs_table = Table(
    "assay_runs", metadata,
    Column("run_id", String(200), primary_key=True),
    Column("model", Text, nullable=False),
    Column("started", String(40)),
    Column("finished", String(40)),
    Column("saved_at", String(40), nullable=False),
    Column("source", Text),
    Column("assay_version", String(40)),
    Column("n_tasks", Integer, nullable=False),
    Column("n_samples", Integer, nullable=False),
    Column("n_failed", Integer, nullable=False),
    Column("manifest", JSON),
    Column("results", JSON, nullable=False),
)
metrics_table = Table(
    "assay_metrics", metadata,
    Column("run_id", String(200), ForeignKey("assay_runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("task", String(300), primary_key=True),
    Column("metric", String(200), primary_key=True),
    Column("position", Integer, nullable=False),  # order within the task: 0 is the primary metric
    Column("value", Float),
    Column("n", Integer),
    Column("stderr", Float),
    Column("ci_low", Float),
    Column("ci_high", Float),
    Column("method", String(64)),
    Column("n_failed", Integer),
)
samples_table = Table(
    "assay_samples", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(200), ForeignKey("assay_runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("task", String(300), nullable=False),
    Column("format", String(300)),
    Column("sample_id", String(500), nullable=False),
    Column("prompt", Text),
    Column("response", JSON),
    Column("extracted", JSON),
    Column("target", JSON),
    Column("scores", JSON, nullable=False),
    Column("error", Text),
    Column("sample_metadata", JSON),
    Column("family", String(200)),
    Column("difficulty", String(64)),
    Column("tokens_in", Integer),
    Column("tokens_out", Integer),
    Column("latency_s", Float),
    Column("cached", Boolean),
    Column("row", JSON, nullable=False),  # the full samples.jsonl line, for a faithful load()
    Column("search", Text),  # prompt, response, answers and id in one string, for the search box
    Index("ix_assay_samples_run_task", "run_id", "task", "position"),
    Index("ix_assay_samples_lookup", "run_id", "task", "sample_id"),
)
