"""Response matrices for item response theory: read from a CSV, or built from assay runs.

A response matrix is rows (models, or a model in one prompt format) x items (sample ids), 1 =
correct, 0 = wrong, NaN = not asked. Malformed input fails with the file, line and item named.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from assay.core.run import Run
from assay.errors import ConfigError

_TRUE = {"1", "1.0", "true"}
_FALSE = {"0", "0.0", "-1", "-1.0", "false"}


@dataclass(frozen=True)
class ResponseMatrix:
    """`values` is `(len(rows) x len(items))` of 1/0/NaN; `task` names the task it came from."""

    values: np.ndarray
    rows: tuple[str, ...]
    items: tuple[str, ...]
    task: str | None = None
    task_version: str | None = None

    def accuracy(self) -> np.ndarray:
        """Each row's mean over the items it answered."""
        return np.nanmean(self.values, axis=1)

    def select_rows(self, idx: Sequence[int] | np.ndarray) -> "ResponseMatrix":
        idx = np.asarray(idx, int)
        return ResponseMatrix(self.values[idx], tuple(self.rows[i] for i in idx), self.items, self.task,
                              self.task_version)


def read_response_csv(path: str | Path) -> ResponseMatrix:
    """A CSV with a header (row-name column, then one column per item) and one row per model:
    1/0 (or 1/-1, true/false), blank = missing."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("no such file", file=path)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header or len(header) < 2:
            raise ConfigError("the header needs a row-name column and at least one item column", file=path, line=1)
        items = tuple(h.strip() for h in header[1:])
        dupes = {i for i in items if items.count(i) > 1}
        if dupes:
            raise ConfigError(f"item column(s) repeated: {', '.join(sorted(dupes))}", file=path, line=1)
        names, rows = [], []
        for line, cells in enumerate(reader, start=2):
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise ConfigError(f"ragged row: {len(cells)} cells where the header has {len(header)}",
                                  file=path, line=line, field=cells[0] if cells else None)
            values = []
            for item, cell in zip(items, cells[1:]):
                text = cell.strip().lower()
                if text == "" or text == "nan":
                    values.append(math.nan)
                elif text in _TRUE:
                    values.append(1.0)
                elif text in _FALSE:
                    values.append(0.0)
                else:
                    raise ConfigError(f"value {cell!r} in row {cells[0]!r}; expected 1, 0, -1 or blank",
                                      file=path, line=line, field=item)
            names.append(cells[0].strip())
            rows.append(values)
    if len(rows) < 2:
        raise ConfigError(f"{len(rows)} data row(s); calibrating items needs at least 2", file=path)
    return ResponseMatrix(np.array(rows, float), tuple(names), items)


def write_response_csv(matrix: ResponseMatrix, path: str | Path) -> Path:
    """Write a matrix in the layout `read_response_csv` reads (blank = missing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["row", *matrix.items])
        for name, row in zip(matrix.rows, matrix.values):
            out.writerow([name, *("" if math.isnan(v) else str(int(v)) for v in row)])
    return path


def matrix_from_runs(runs: Iterable[Run], task: str | None = None, metric: str | None = None,
                     threshold: float = 0.5) -> ResponseMatrix:
    """Rows = each run's model and prompt format, items = sample ids of one task, cells = the
    primary metric (>= `threshold` counts as correct). Failed samples are missing cells."""
    cells: dict[str, dict[str, float]] = {}
    versions: set[str] = set()
    chosen = task
    for run in runs:
        names = {t.base_name for t in run.tasks.values()}
        if chosen is None:
            if len(names) != 1:
                raise ConfigError(f"run {run.run_id} has tasks {sorted(names)}; name one with --task")
            chosen = next(iter(names))
        for name, result in run.tasks.items():
            if result.base_name != chosen:
                continue
            key = metric or result.primary_metric
            row = f"{run.model}" + (f"@{name.split('@', 1)[1]}" if "@" in name else "")
            if row in cells:
                row = f"{row}#{run.run_id[:8]}"
            versions.add(result.version)
            target = cells.setdefault(row, {})
            for rec in run.rows(name):
                value = rec.scores.get(key) if key else None
                if rec.error is not None or value is None or (isinstance(value, float) and math.isnan(value)):
                    continue
                target[rec.sample_id] = 1.0 if float(value) >= threshold else 0.0
    if chosen is None or not cells:
        raise ConfigError(f"no run holds task {chosen!r}" if chosen else "no runs given")
    items = sorted({i for row in cells.values() for i in row}, key=_natural_key)
    values = np.array([[row.get(i, math.nan) for i in items] for row in cells.values()], float)
    if values.shape[0] < 2:
        raise ConfigError(f"{values.shape[0]} row(s) for task {chosen!r}; calibrating items needs at least 2 runs")
    version = next(iter(versions)) if len(versions) == 1 else None
    return ResponseMatrix(values, tuple(cells), tuple(items), chosen, version)


def _natural_key(text: str) -> tuple:
    import re

    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))
