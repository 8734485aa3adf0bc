"""Train three widths of a tiny causal LM here, then evaluate the checkpoint series.

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
    TrainPlan(width=192, steps=STEPS, checkpoints=CHECKPOINTS, shift=SHIFT, seed=0),
    TrainPlan(width=288, steps=STEPS, checkpoints=CHECKPOINTS, shift=SHIFT, seed=0),
    TrainPlan(width=128, steps=STEPS, checkpoints=CHECKPOINTS, shift=SHIFT, seed=1),
)


def series_root() -> Path:
    return assay_home() / "train-series" / "v1"


def train_all() -> list[Path]:
    import torch

    torch.set_num_threads(1)
    out = []
    for plan in PLANS:
        started = time.perf_counter()
        out.append(train_series(plan, series_root(), log=lambda m: print(m, flush=True)))
        print(f"{plan.name()}: {time.perf_counter() - started:.0f} s, load {os.getloadavg()}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train-only", action="store_true")
    args = parser.parse_args()
    train_all()
    if args.train_only:
        return


if __name__ == "__main__":
    main()
