"""A response matrix from assay's own runs: the bundled models x sampled prompt formats (rows)
over one built-in suite (items), for `irt_validation.py --csv` and adaptive-run examples.

Runs go through the response cache, so a rerun costs nothing. Writes the matrix CSV (rows
named MODEL@fmt-...) and keeps the run directories under --out.

    .venv/bin/python benchmarks/irt_own_runs.py [--suite arith-mc:n=80] [--formats 8] \\
        [--models smollm2,gemma3-270m,qwen2.5-coder-0.5b] [--out benchmarks/.irt_runs]
    .venv/bin/python benchmarks/irt_validation.py --csv benchmarks/.irt_runs/matrix.csv --folds 3
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import assay  # noqa: E402
from assay.analyses.irt_data import matrix_from_runs, write_response_csv  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default="arith-mc:n=80")
    ap.add_argument("--formats", type=int, default=8)
    ap.add_argument("--models", default="smollm2,gemma3-270m,qwen2.5-coder-0.5b")
    ap.add_argument("--out", default="benchmarks/.irt_runs")
    args = ap.parse_args()
    out = Path(args.out)
    runs = []
    t0 = time.time()
    for model in args.models.split(","):
        began = time.time()
        run = assay.evaluate(model, args.suite, formats=args.formats, out=out / model, show_progress=True)
        runs.append(run)
        print(f"{model}: {len(run.samples)} samples in {time.time() - began:.0f} s "
              f"(load average {os.getloadavg()[0]:.1f})", file=sys.stderr)
    matrix = matrix_from_runs(runs)
    path = write_response_csv(matrix, out / "matrix.csv")
    print(f"{matrix.values.shape[0]} rows x {matrix.values.shape[1]} items -> {path} ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
