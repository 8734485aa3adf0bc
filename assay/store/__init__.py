"""Saved runs: reading a run's output directory back (the results store builds on this)."""

from assay.store.rundir import SavedRun, load_run_dir

__all__ = ["SavedRun", "load_run_dir"]
