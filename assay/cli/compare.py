"""`assay compare`, `assay power` and `assay variance`: questions asked of finished runs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assay.cli._console import STORE_HELP, console, out
from assay.errors import AssayError


def cmd_compare(args: argparse.Namespace) -> int:
    from assay.analyses.compare import compare_runs
    from assay.report.compare import comparison_table
    from assay.stats import CorrectionMethod
    from assay.store import load_run

    method = {"holm": CorrectionMethod.HOLM, "bh": CorrectionMethod.BENJAMINI_HOCHBERG}[args.correction]
    store = args.store
    result = compare_runs(load_run(args.run_a, store), load_run(args.run_b, store), metric=args.metric,
                          correction=method, alpha=args.alpha, seed=args.seed)
    if not result.tasks:
        raise AssayError("the two runs share no task with a common metric and sample ids: "
                         + "; ".join(f"{t}: {why}" for t, why in result.skipped.items()))
    out.print(comparison_table(result))
    for task, why in result.skipped.items():
        console.print(f"[yellow]skipped[/] {task}: {why}")
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2, default=float))
        console.print(f"wrote {args.json}")
    return 0


def cmd_power(args: argparse.Namespace) -> int:
    from assay.analyses.summaries import given_power_basis, power_bases, power_estimates
    from assay.errors import ConfigError
    from assay.report.power import power_estimates_table
    from assay.store import load_run

    if args.run is not None:
        bases = power_bases(load_run(args.run))
    elif args.n is not None and args.p is not None:
        bases = [given_power_basis(args.n, args.p)]
    else:
        raise ConfigError("give a run directory, or both --n and --p", field="--n/--p",
                          hint="assay power runs/my-run   or   assay power --n 200 --p 0.6 --target 0.05")
    estimates = power_estimates(bases, sd=args.sd, target=args.target, alpha=args.alpha, power=args.power)
    out.print(power_estimates_table(estimates, alpha=args.alpha, power=args.power))
    return 0


def cmd_variance(args: argparse.Namespace) -> int:
    from assay.analyses.repeats import repeated_run_variance
    from assay.report.variance import variance_table
    from assay.store import load_run

    rows = repeated_run_variance([load_run(p) for p in args.runs], metric=args.metric)
    if not rows:
        raise AssayError("the runs share no task with a common metric and at least two common items")
    out.print(variance_table(rows))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    compare = sub.add_parser("compare", help="paired comparison of two runs, item by item")
    compare.add_argument("run_a", help="run A: its output directory, or its run id in the results store")
    compare.add_argument("run_b", help="run B: its output directory, or its run id in the results store")
    compare.add_argument("--metric", help="metric to compare (default: each task's first)")
    compare.add_argument("--correction", choices=["holm", "bh"], default="holm",
                         help="multiple-comparison correction across tasks (Holm or Benjamini-Hochberg)")
    compare.add_argument("--alpha", type=float, default=0.05)
    compare.add_argument("--seed", type=int, default=0, help="seed of the permutation/bootstrap resampling")
    compare.add_argument("--json", help="also write the comparison as JSON to this file")
    compare.add_argument("--store", help=STORE_HELP + " (to look up run ids)")
    compare.set_defaults(func=cmd_compare)

    power = sub.add_parser("power", help="smallest difference a benchmark can resolve, and the n needed")
    power.add_argument("run", nargs="?", help="a run directory: use each task's n and observed variance")
    power.add_argument("--n", type=int, help="items per task (without a run)")
    power.add_argument("--p", type=float, help="baseline accuracy (binary scores, without a run)")
    power.add_argument("--sd", type=float, help="standard deviation of paired differences, if known")
    power.add_argument("--target", type=float, help="a difference you want to detect, e.g. 0.05")
    power.add_argument("--alpha", type=float, default=0.05)
    power.add_argument("--power", type=float, default=0.8)
    power.set_defaults(func=cmd_power)

    variance = sub.add_parser("variance", help="repeated runs of one model: item vs run variance per task")
    variance.add_argument("runs", nargs="+", help="two or more run directories (e.g. the same tasks, other --seed)")
    variance.add_argument("--metric", help="metric to use (default: each task's first)")
    variance.set_defaults(func=cmd_variance)
