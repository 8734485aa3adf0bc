"""A run's efficiency, per task: per-sample measures, medians and p90s with intervals, cost,
cost-of-pass, joules per correct answer, and the roofline's measured/ideal ratio.

Cost-of-pass (Erol et al. 2025; used by *Efficient Agents*) is the expected cost of one
correct answer: the mean cost of an attempt over the success rate, i.e. Σ cost / Σ correct
over items, a ratio of sums whose interval is the delta method over items
(`assay.stats.ratio`). With no correct answer it is infinite, as the definition says.
Joules per correct answer is the same ratio with energy, and keeps its label
(`measured` / `estimated`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

from assay.analyses.efficiency.prices import PriceTable
from assay.analyses.efficiency.roofline import Machine, ModelShape, ideal_seconds
from assay.core.run import Run
from assay.engine.usage_summary import MEASURES, energy_label, sample_measures, summarize_usage
from assay.stats.quantiles import QuantileInterval, quantile_ci
from assay.stats.ratio import RatioInterval, ratio_of_sums_ci


@dataclass(frozen=True)
class TaskEfficiency:
    """One task of one run: quantiles of each measure, totals, and per-correct-answer costs."""

    task: str
    model: str
    n: int
    n_correct: float
    accuracy: float
    quantiles: dict[str, tuple[QuantileInterval, QuantileInterval]]
    """measure -> (median, p90)."""
    energy_kind: str | None
    energy_total_j: float | None
    cost_total_usd: float | None
    cost_of_pass: RatioInterval | None
    joules_per_correct: RatioInterval | None
    ideal_ratio: tuple[QuantileInterval, QuantileInterval] | None = None

    def to_dict(self) -> dict[str, Any]:
        def ratio(r: RatioInterval | None) -> dict[str, float] | None:
            return None if r is None else {"value": r.estimate, "ci_low": r.low, "ci_high": r.high, "n": r.n}
        return {
            "task": self.task, "model": self.model, "n": self.n, "n_correct": self.n_correct,
            "accuracy": self.accuracy,
            "quantiles": {k: {"median": a.to_dict(), "p90": b.to_dict()} for k, (a, b) in self.quantiles.items()},
            "energy_kind": self.energy_kind, "energy_total_j": self.energy_total_j,
            "cost_total_usd": self.cost_total_usd, "cost_of_pass_usd": ratio(self.cost_of_pass),
            "joules_per_correct": ratio(self.joules_per_correct),
            "measured_over_ideal": None if self.ideal_ratio is None else
            {"median": self.ideal_ratio[0].to_dict(), "p90": self.ideal_ratio[1].to_dict()},
        }


@dataclass
class RunEfficiency:
    run_id: str
    model: str
    tasks: list[TaskEfficiency] = field(default_factory=list)
    meter: dict[str, Any] = field(default_factory=dict)
    machine: Machine | None = None
    shape: ModelShape | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "model": self.model, "meter": self.meter,
                "machine": None if self.machine is None else self.machine.to_dict(),
                "shape": None if self.shape is None else self.shape.to_dict(),
                "tasks": [t.to_dict() for t in self.tasks]}


def _correct(run: Run, task: str, record: Any) -> float:
    metric = run.primary_metric(task)
    value = record.scores.get(metric, math.nan) if metric else math.nan
    return float(value) if math.isfinite(value) else 0.0


def _cost_per_pass(costs: Sequence[float], correct: Sequence[float]) -> RatioInterval | None:
    if not costs:
        return None
    if sum(correct) <= 0:
        inf = math.inf
        from assay.stats.ratio import RatioMethod

        return RatioInterval(inf, inf, inf, math.nan, RatioMethod.DELTA, 0.95, len(costs))
    return ratio_of_sums_ci(costs, correct)


def run_efficiency(run: Run, prices: PriceTable | None = None, *, shape: ModelShape | None = None,
                   machine: Machine | None = None) -> RunEfficiency:
    """The efficiency of every task of `run`. `prices` adds dollars and cost-of-pass (the run's
    model must be in the table); `shape` + `machine` add the measured/ideal ratio."""
    price = prices.for_model(run.model) if prices is not None else None
    out = RunEfficiency(run.run_id, run.model, meter=dict((run.manifest.get("efficiency") or {}).get("meter") or {}),
                        machine=machine, shape=shape)
    for task in run.tasks:
        records = [r for r in run.rows(task) if r.error is None]
        summary = summarize_usage(records)
        rows = [sample_measures(r) for r in records]
        correct = [_correct(run, task, r) for r in records]
        quantiles = {}
        for name in MEASURES:
            values = [row[name] for row in rows if row[name] is not None]
            if values:
                quantiles[name] = (quantile_ci(values, 0.5), quantile_ci(values, 0.9))
        label = energy_label([row["energy_kind"] for row in rows])
        energies = [row["energy_j"] for row in rows]
        joules = None
        if label in ("measured", "estimated") and energies and all(e is not None for e in energies):
            joules = _cost_per_pass([float(e) for e in energies], correct)  # type: ignore[arg-type]
        costs = [price.cost(r.tokens_in, r.tokens_out, r.latency_s) for r in records] if price else []
        ideal = None
        if shape is not None and machine is not None:
            # cached answers keep the latency of the call that computed them: still a measurement
            ideals = [ideal_seconds(shape, machine, r.tokens_in, r.tokens_out) for r in records]
            ratios = [r.latency_s / i for r, i in zip(records, ideals) if r.latency_s > 0 and i > 0]
            if ratios:
                ideal = (quantile_ci(ratios, 0.5), quantile_ci(ratios, 0.9))
        out.tasks.append(TaskEfficiency(
            task=task, model=run.model, n=len(records), n_correct=float(sum(correct)),
            accuracy=float(sum(correct) / len(records)) if records else math.nan, quantiles=quantiles,
            energy_kind=label, energy_total_j=summary.get("energy_total_j"),
            cost_total_usd=float(sum(costs)) if price else None,
            cost_of_pass=_cost_per_pass(costs, correct) if price else None,
            joules_per_correct=joules, ideal_ratio=ideal))
    return out
