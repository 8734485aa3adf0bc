"""Score prediction over stored series: a later checkpoint from earlier ones, or a larger
model from smaller ones (the methods are `assay.analyses.series.predict`).

The scale of a checkpoint is the tokens it has seen (its step when tokens are unknown);
across model sizes it is training compute, 6·N·D (parameters times tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from assay.analyses.series.curves import TaskMatrix, task_matrices
from assay.analyses.series.predict import Prediction, observations, predict_score
from assay.analyses.series.runner import SeriesEntry
from assay.analyses.series.spec import SeriesError
from assay.core.run import Run

METHODS = ("cod", "passuntil")


@dataclass(frozen=True)
class ForecastRow:
    """One task's prediction of one target by one method."""

    task: str
    target: str
    prediction: Prediction

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "target": self.target, **self.prediction.to_dict()}


def _scale(m: TaskMatrix, k: int) -> float:
    t = m.tokens[k]
    return float(t) if t else float(m.steps[k])


def _params(pairs: Sequence[tuple[SeriesEntry, Run]]) -> float:
    n = (pairs[-1][1].manifest.get("model") or {}).get("parameters")
    if not n:
        raise SeriesError("predicting a larger model needs each model's parameter count in its runs' manifests",
                          field="--target")
    return float(n)


def _usable(m: TaskMatrix) -> bool:
    return m.p_correct is not None and m.pass_prob is not None


def _target(m: TaskMatrix, metric: str) -> np.ndarray:
    """What is predicted: accuracy, or the probability of the correct option."""
    if metric == "p_correct":
        assert m.p_correct is not None
        return m.p_correct
    if metric != "acc":
        raise SeriesError(f"predictions are of acc or p_correct, not '{metric}'", field="--metric")
    return m.scores


def forecast_later(pairs: Sequence[tuple[SeriesEntry, Run]], fit_until: int, *, until: int | None = None,
                   methods: Sequence[str] = METHODS, tasks: Sequence[str] | None = None, confidence: float = 0.9,
                   n_boot: int = 200, metric: str = "acc") -> list[ForecastRow]:
    """Fit on the checkpoints with 0 < step <= `fit_until` and predict each later one (up to
    `until`), per multiple-choice task; `metric` is acc or p_correct."""
    mats = task_matrices(pairs)
    rows = []
    for name, m in mats.items():
        if (tasks and name not in tasks) or not _usable(m):
            continue
        fit = [k for k, s in enumerate(m.steps) if 0 < s <= fit_until]
        held = [k for k, s in enumerate(m.steps) if s > fit_until and (until is None or s <= until)]
        if len(fit) < 3:
            raise SeriesError(f"task {name}: fitting needs three checkpoints after step 0 up to step {fit_until}",
                              field="--fit-until")
        assert m.p_correct is not None and m.pass_prob is not None
        y = _target(m, metric)
        obs = observations([_scale(m, k) for k in fit], [y[k] for k in fit], [m.p_correct[k] for k in fit],
                           [m.pass_prob[k] for k in fit], m.chance)
        for k in held:
            for method in methods:
                p = predict_score(obs, _scale(m, k), method, actual=float(y[k].mean()),
                                  confidence=confidence, n_boot=n_boot)
                rows.append(ForecastRow(name, f"step {m.steps[k]}", p))
    return rows


def forecast_larger(smaller: Sequence[Sequence[tuple[SeriesEntry, Run]]], target: Sequence[tuple[SeriesEntry, Run]],
                    *, step: int | None = None, until: int | None = None, methods: Sequence[str] = METHODS,
                    tasks: Sequence[str] | None = None, confidence: float = 0.9, n_boot: int = 200,
                    metric: str = "acc") -> list[ForecastRow]:
    """Predict the `target` series' score at `step` (default: its last checkpoint up to
    `until`) from every checkpoint (0 < step <= until) of the `smaller` series, on the
    compute scale 6·N·D."""
    big = task_matrices(target)
    small = [(task_matrices(p), _params(p)) for p in smaller]
    n_big = _params(target)
    rows = []
    for name, m in big.items():
        if (tasks and name not in tasks) or not _usable(m) or not all(name in s for s, _ in small):
            continue
        steps_ok = [k for k, s in enumerate(m.steps) if (until is None or s <= until)]
        k_t = m.steps.index(step) if step is not None and step in m.steps else steps_ok[-1]
        xs, acc, pc, pp = [], [], [], []
        for mats, n in small:
            sm = mats[name]
            ids = [sm.item_ids.index(i) for i in m.item_ids if i in sm.item_ids]
            if len(ids) != len(m.item_ids):
                raise SeriesError(f"task {name}: the series do not share their items", field="SERIES")
            assert sm.p_correct is not None and sm.pass_prob is not None
            for k, s in enumerate(sm.steps):
                if s > 0 and (until is None or s <= until):
                    xs.append(6 * n * _scale(sm, k))
                    acc.append(_target(sm, metric)[k][ids])
                    pc.append(sm.p_correct[k][ids])
                    pp.append(sm.pass_prob[k][ids])
        obs = observations(xs, acc, pc, pp, m.chance)
        target_x = 6 * n_big * _scale(m, k_t)
        for method in methods:
            p = predict_score(obs, target_x, method, actual=float(_target(m, metric)[k_t].mean()), confidence=confidence,
                              n_boot=n_boot)
            rows.append(ForecastRow(name, f"{n_big / 1e6:.1f}M at step {m.steps[k_t]}", p))
    return rows


def mean_errors(rows: Sequence[ForecastRow]) -> dict[str, dict[str, float]]:
    """Mean absolute error of each method and of the naive extrapolation, and how often the
    prediction interval covered the truth."""
    out: dict[str, dict[str, float]] = {}
    for method in sorted({r.prediction.method for r in rows}):
        sel = [r.prediction for r in rows if r.prediction.method == method and r.prediction.actual is not None]
        if not sel:
            continue
        out[method] = {"mae": float(np.mean([p.error for p in sel])),
                       "naive_mae": float(np.mean([p.naive_error for p in sel])),
                       "coverage": float(np.mean([p.pi_low <= (p.actual or 0) <= p.pi_high for p in sel])),
                       "n": len(sel)}
    return out
