"""Saved runs: run directories written and read back, and the results store (SQLite or any SQLAlchemy URL)."""

from assay.store.db import (
    MetricRow,
    ResultsStore,
    RunInfo,
    StoreError,
    default_store_location,
    load_run,
    load_runs,
    save_run_dir,
    store_url,
)
from assay.store.rundir import load_run_dir, write_run_dir
from assay.store.scrub import REDACTED, scrub, scrub_results, scrub_text

__all__ = [
    "REDACTED", "MetricRow", "ResultsStore", "RunInfo", "StoreError", "default_store_location",
    "load_run", "load_run_dir", "load_runs", "save_run_dir", "scrub", "scrub_results", "scrub_text", "store_url",
    "write_run_dir",
]
