"""Train four widths of a tiny causal LM here, then evaluate the checkpoint series.

    .venv/bin/python benchmarks/train_series.py            # train (cached) + evaluate + report
    .venv/bin/python benchmarks/train_series.py --train-only

Checkpoints are cached under $ASSAY_HOME/train-series/v1, so a rerun skips training.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assay.paths import assay_home  # noqa: E402
from assay.testing.tiny_lm import TrainPlan, train_series  # noqa: E402

STEPS = 1000
SHIFT = 600
CHECKPOINTS = (0, 25, 50, 100, 200, 300, 400, 500, 600, 620, 650, 700, 750, 800, 900, 1000)
PLANS = (
    TrainPlan(width=128, steps=STEPS, checkpoints=CHECKPOINTS, shift=SHIFT, seed=0),
    TrainPlan(width=160, steps=STEPS, checkpoints=CHECKPOINTS, shift=SHIFT, seed=0),
    TrainPlan(width=192, steps=STEPS, checkpoints=CHECKPOINTS, shift=SHIFT, seed=0),
    TrainPlan(width=256, steps=STEPS, checkpoints=CHECKPOINTS, shift=SHIFT, seed=0),
)


def series_root() -> Path:
    return assay_home() / "train-series" / "v1"


def train_all(only: str | None = None) -> list[Path]:
    import torch

    torch.set_num_threads(1)
    out = []
    for plan in PLANS:
        if only and plan.name() != only:
            continue
        started = time.perf_counter()
        out.append(train_series(plan, series_root(), log=lambda m: print(m, flush=True)))
        print(f"{plan.name()}: {time.perf_counter() - started:.0f} s, load {os.getloadavg()}", flush=True)
    return out


TASKS = ("arith-mc:n=40", "fiction-mc:n=40", "logic-mc:n=40")
FORMULATIONS = ("cloze", "listed")
N_BOOT = 100  # item resamples per prediction interval


def evaluate_all(dirs: list[Path]) -> list[str]:
    """Each series on the tasks in both formulations: stored, cached, skipped when done."""
    import torch

    from assay.api import evaluate_series

    torch.set_num_threads(1)  # the 2 cores are shared: one thread avoids OpenMP thrashing
    ids = []
    for d in dirs:
        started = time.perf_counter()
        manifest = evaluate_series(d, list(TASKS), formulations=FORMULATIONS, out=series_root() / "runs",
                                   on_message=lambda m: print(m, flush=True))
        print(f"evaluated {manifest.id}: {len(manifest.entries)} checkpoints in {time.perf_counter() - started:.0f} s, "
              f"load {os.getloadavg()}", flush=True)
        ids.append(manifest.id)
    return ids


def report(ids: list[str]) -> None:
    from rich.console import Console

    from assay.analyses.series import mean_errors
    from assay.analyses.series.curves import recommend
    from assay.analyses.series.public import forecast_series, quality_of_series, show_series
    from assay.report.series import curves_table, forecast_table, gap_text, quality_table

    out = Console(width=220)
    for sid in ids:
        for metric in ("acc", "log_pass"):
            curves = show_series(sid, n_boot=1000, metric=metric)
            out.print(curves_table(curves))
            for task, gap in curves.gaps.items():
                out.print(f"{sid} ({metric}) {task}: {gap_text(gap, metric != 'log_pass')}", highlight=False)
    for metric in ("acc", "p_correct", "log_pass"):
        rows = quality_of_series(ids, until_step=SHIFT, metric=metric)
        out.print(f"signal quality on {metric}, checkpoints up to the shift (step {SHIFT}), {len(ids)} widths",
                  markup=False)
        out.print(quality_table(rows, metric))
        for line in recommend(rows):
            out.print(f"- {line}", highlight=False)
    for metric in ("acc", "p_correct"):
        later = forecast_series(ids[-1], fit_until=400, until=SHIFT, metric=metric, n_boot=N_BOOT)
        out.print(f"({metric}) later checkpoints of {ids[-1]} (fit on steps 25-400, predict 500 and 600)")
        out.print(forecast_table(later))
        larger = forecast_series(ids[-1], smaller=ids[:-1], step=SHIFT, until=SHIFT, metric=metric, n_boot=N_BOOT)
        out.print(f"({metric}) the largest width at step {SHIFT} from the smaller widths' checkpoints (compute 6ND)")
        out.print(forecast_table(larger))
        for name, rows in (("later checkpoints", later), ("larger model", larger)):
            for method, e in mean_errors(rows).items():
                out.print(f"({metric}) {name} / {method}: MAE {100 * e['mae']:.1f} points vs naive "
                          f"{100 * e['naive_mae']:.1f}; 90% PI covered {100 * e['coverage']:.0f}% of {e['n']}",
                          highlight=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train-only", action="store_true")
    parser.add_argument("--only", metavar="NAME", help="train or evaluate only this plan (w160-s0, ...)")
    parser.add_argument("--eval-only", action="store_true", help="evaluate the series without reporting")
    args = parser.parse_args()
    started = time.perf_counter()
    dirs = train_all(args.only)
    if args.train_only:
        return
    ids = evaluate_all(dirs)
    if args.eval_only:
        return
    report(ids)
    print(f"benchmark total {time.perf_counter() - started:.0f} s, load {os.getloadavg()} (figures taken under load: "
          "the 2 cores are shared with other work)")


if __name__ == "__main__":
    main()
