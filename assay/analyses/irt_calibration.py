"""A calibration: fitted item parameters plus what an honest estimate needs later.

`calibrate` fits the items on a response matrix and refits them on bootstrap resamples of
the calibration rows (the item-parameter uncertainty every interval carries). The
calibration file (`items.json`) keeps the parameters, their standard errors, item fit, the
bootstrap sets and the calibration matrix itself, so `estimate` can check its intervals on
out-of-bag rows and `adaptive` runs can refuse a file made for another task or version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from assay.analyses.irt_data import ResponseMatrix
from assay.errors import ConfigError
from assay.stats.irt import (
    IRTFit,
    IRTModel,
    IRTPriors,
    ItemFit,
    ItemParameters,
    Quadrature,
    bootstrap_item_parameters,
    fit_irt,
    item_fit,
)

FORMAT = "assay-irt-calibration"
FORMAT_VERSION = 1


@dataclass
class Calibration:
    """Items calibrated on `matrix`: the fit, item fit, and `bootstrap` parameter sets with
    the calibration rows each was drawn from."""

    matrix: ResponseMatrix
    fit: IRTFit
    item_fit: ItemFit
    bootstrap: list[ItemParameters] = field(default_factory=list)
    bootstrap_rows: list[np.ndarray] = field(default_factory=list)

    @property
    def params(self) -> ItemParameters:
        return self.fit.params

    @property
    def items(self) -> tuple[str, ...]:
        return self.matrix.items

    @property
    def parameter_sets(self) -> list[ItemParameters]:
        """The bootstrap sets, or the point fit alone when there are none."""
        return self.bootstrap or [self.fit.params]

    def item_table(self) -> list[dict[str, Any]]:
        p = self.params
        return [{"id": item, "a": float(p.a[j]), "b": float(p.b[j]), "c": float(p.c[j]),
                 "se_a": _num(p.se_a, j), "se_b": _num(p.se_b, j), "se_c": _num(p.se_c, j),
                 "infit": float(self.item_fit.infit[j]), "outfit": float(self.item_fit.outfit[j]),
                 "p_correct": _nanmean(self.matrix.values[:, j])}
                for j, item in enumerate(self.items)]


def _num(values: np.ndarray, j: int) -> float | None:
    if values.size == 0 or not np.isfinite(values[j]):
        return None
    return float(values[j])


def _nanmean(col: np.ndarray) -> float | None:
    seen = col[~np.isnan(col)]
    return float(seen.mean()) if seen.size else None


def calibrate(matrix: ResponseMatrix, model: IRTModel | str = IRTModel.TWO_PL, *, n_boot: int = 20,
              rng: int = 0, priors: IRTPriors | None = None) -> Calibration:
    """Fit the items, their fit statistics, and `n_boot` bootstrap refits over rows."""
    try:
        fit = fit_irt(matrix.values, model, priors=priors)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    sets, rows = bootstrap_item_parameters(matrix.values, fit, n_boot, rng) if n_boot > 0 else ([], [])
    return Calibration(matrix, fit, item_fit(fit, matrix.values), sets, rows)


def calibration_to_dict(cal: Calibration) -> dict[str, Any]:
    fit = cal.fit
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "task": cal.matrix.task, "task_version": cal.matrix.task_version,
        "model": fit.model.value,
        "fit": {"log_likelihood": fit.log_likelihood, "n_iter": fit.n_iter, "converged": fit.converged,
                "quadrature": {"nodes": len(fit.quadrature.nodes), "bound": float(fit.quadrature.nodes[-1])},
                "priors": {"sd_log_a": fit.priors.sd_log_a, "sd_b": fit.priors.sd_b,
                           "c_alpha": fit.priors.c_alpha, "c_beta": fit.priors.c_beta}},
        "items": cal.item_table(),
        "rows": [{"row": r, "theta": float(t), "theta_se": float(s)}
                 for r, t, s in zip(cal.matrix.rows, fit.theta, fit.theta_se)],
        "responses": [[None if np.isnan(v) else int(v) for v in row] for row in cal.matrix.values],
        "bootstrap": [{"rows": idx.tolist(), "a": p.a.tolist(), "b": p.b.tolist(), "c": p.c.tolist()}
                      for p, idx in zip(cal.bootstrap, cal.bootstrap_rows)],
    }


def save_calibration(cal: Calibration, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(calibration_to_dict(cal)) + "\n", encoding="utf-8")
    return path


def load_calibration(path: str | Path) -> Calibration:
    """Read an `items.json`; a file that is not one, or is damaged, names the file and field."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("no such calibration file", file=path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not JSON: {exc.msg}", file=path, line=exc.lineno) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"not an assay IRT calibration (no \"format\": \"{FORMAT}\")", file=path, field="format",
                          hint="make one with `assay irt fit`")
    if data.get("format_version") != FORMAT_VERSION:
        raise ConfigError(f"calibration format version {data.get('format_version')!r}; this assay reads "
                          f"{FORMAT_VERSION}", file=path, field="format_version")
    try:
        items = data["items"]
        ids = tuple(str(it["id"]) for it in items)
        col = lambda key: np.array([np.nan if it.get(key) is None else float(it[key]) for it in items])  # noqa: E731
        params = ItemParameters(col("a"), col("b"), col("c"), col("se_a"), col("se_b"), col("se_c"))
        rows = data["rows"]
        values = np.array([[np.nan if v is None else float(v) for v in r] for r in data["responses"]], float)
        values = values.reshape(len(rows), len(ids))
        q = data["fit"]["quadrature"]
        pr = data["fit"]["priors"]
        fit = IRTFit(IRTModel(data["model"]), params, np.array([r["theta"] for r in rows]),
                     np.array([r["theta_se"] for r in rows]), float(data["fit"]["log_likelihood"]),
                     int(data["fit"]["n_iter"]), bool(data["fit"]["converged"]),
                     Quadrature.normal(int(q["nodes"]), float(q["bound"])),
                     IRTPriors(pr["sd_log_a"], pr["sd_b"], pr["c_alpha"], pr["c_beta"]))
        boots = [ItemParameters(np.array(b["a"]), np.array(b["b"]), np.array(b["c"])) for b in data["bootstrap"]]
        boot_rows = [np.array(b["rows"], int) for b in data["bootstrap"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"damaged calibration: {exc!r}", file=path) from exc
    matrix = ResponseMatrix(values, tuple(r["row"] for r in rows), ids, data.get("task"), data.get("task_version"))
    from assay.stats.irt import ItemFit as _ItemFit

    fitstats = _ItemFit(col("infit"), col("outfit"))
    return Calibration(matrix, fit, fitstats, boots, boot_rows)


def check_calibration_items(cal: Calibration, item_ids: Sequence[str], *, source: str | Path,
                            task: str | None = None, task_version: str | None = None) -> np.ndarray:
    """Column indices of the calibration's items in `item_ids` (the data's order); an item
    the calibration has but the data lacks, or another task or version, is an error that names
    the file and item."""
    if task is not None and cal.matrix.task is not None and cal.matrix.task != task:
        raise ConfigError(f"calibration is for task {cal.matrix.task!r}, not {task!r}", file=source, field="task")
    if (task_version and cal.matrix.task_version and cal.matrix.task_version != task_version):
        raise ConfigError(f"calibration is for version {cal.matrix.task_version!r} of {task!r}, the task is "
                          f"{task_version!r}", file=source, field="task_version", hint="recalibrate with `assay irt fit`")
    where = {item: j for j, item in enumerate(item_ids)}
    missing = [item for item in cal.items if item not in where]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise ConfigError(f"{len(missing)} calibrated item(s) absent from the data: {shown}", file=source,
                          field=f"items[{cal.items.index(missing[0])}].id")
    return np.array([where[item] for item in cal.items], int)
