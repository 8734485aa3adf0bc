"""The `assay` command: parses arguments, calls the library, prints. No logic of its own."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Sequence

from rich.console import Console
from rich.table import Table

from assay.errors import AssayError

console = Console(stderr=True)
out = Console()


def _batch_size(text: str) -> int | None:
    if text == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be 'auto' or a positive integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 'auto' or a positive integer")
    return value


def _default_out(model: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model.split("/")[-1])[:40]
    return Path("runs") / f"{safe}-{time.strftime('%Y%m%d-%H%M%S')}"


def cmd_run(args: argparse.Namespace) -> int:
    from assay.engine.cache import ResponseCache
    from assay.engine.outputs import write_run
    from assay.engine.run import RunOptions, evaluate
    from assay.models import ModelOptions, load_model
    from assay.paths import default_cache_path
    from assay.report.terminal import results_table
    from assay.tasks.resolve import resolve_tasks

    tasks = resolve_tasks(args.tasks, seed=args.seed)  # validate tasks before the slow model load
    started = time.perf_counter()
    model = load_model(args.model, ModelOptions(batch_size=args.batch_size), progress=lambda m: console.print(f"[dim]{m}"))
    load_s = time.perf_counter() - started
    console.print(f"[green]model[/] {model.info.name} ready in {load_s:.1f} s")
    cache_path = None if args.no_cache else Path(args.cache) if args.cache else default_cache_path()
    cache = ResponseCache(cache_path)
    out_dir = Path(args.out) if args.out else _default_out(args.model)
    try:
        run = evaluate(
            model, tasks, cache, RunOptions(limit=args.limit, seed=args.seed, chunk_size=args.chunk_size,
                                           show_progress=not args.quiet),
            model_spec=args.model, console=console,
            manifest_extra={"model_load_seconds": round(load_s, 2), "cache": str(cache_path) if cache_path else None,
                            "batch_size": args.batch_size or "auto", "out_dir": str(out_dir)},
        )
    except KeyboardInterrupt:
        console.print(f"[yellow]interrupted[/]: {cache.count(model.info.cache_key)} responses of this model are cached; "
                      "rerun the same command to resume")
        return 130
    finally:
        cache.close()
    write_run(run, out_dir)
    results = json.loads((out_dir / "results.json").read_text())
    out.print(results_table(results))
    stats = run.stats
    console.print(f"requests: {stats.unique} unique, {stats.cache_hits} from cache, {stats.computed} computed, "
                  f"{stats.failed} failed  ·  wrote {out_dir}/samples.jsonl and results.json")
    if stats.failed:
        console.print(f"[yellow]{stats.failed} requests failed[/]; rerun the same command to retry them")
    return 0


def cmd_tasks(args: argparse.Namespace) -> int:
    from assay.tasks.builtin import SUITE_GROUPS, builtin_suites

    table = Table(title="built-in suites (generated, seeded; options: NAME:n=INT,seed=INT)")
    for col in ("suite", "family", "kind", "default n", "description"):
        table.add_column(col)
    for name, suite in builtin_suites().items():
        table.add_row(name, suite.family, suite.kind.value, str(suite.default_n), suite.description)
    out.print(table)
    groups = Table(title="groups")
    groups.add_column("group")
    groups.add_column("suites")
    for name, members in SUITE_GROUPS.items():
        groups.add_row(name, ", ".join(members))
    out.print(groups)
    out.print("Also: a YAML task file (PATH.yaml) or a JSONL of {question, choices, answer} rows (PATH.jsonl).")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from assay.models import adapters, aliases

    table = Table(title="model aliases")
    table.add_column("alias")
    table.add_column("what it is")
    for name, alias in aliases().items():
        table.add_row(name, alias.description)
    out.print(table)
    ad = Table(title="adapters (MODEL = PREFIX:ARGUMENT)")
    ad.add_column("prefix")
    ad.add_column("what it loads")
    for prefix, description in adapters().items():
        ad.add_row(prefix, description)
    out.print(ad)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from assay.analyses.compare import compare_runs
    from assay.report.compare import comparison_table
    from assay.stats import CorrectionMethod
    from assay.store import load_run_dir

    method = {"holm": CorrectionMethod.HOLM, "bh": CorrectionMethod.BENJAMINI_HOCHBERG}[args.correction]
    result = compare_runs(load_run_dir(args.run_a), load_run_dir(args.run_b), metric=args.metric,
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
    from assay.report.power import power_table

    out.print(power_table(args.run, n=args.n, p=args.p, sd=args.sd, target=args.target,
                          alpha=args.alpha, power=args.power))
    return 0


def cmd_variance(args: argparse.Namespace) -> int:
    from assay.analyses.repeats import repeated_run_variance
    from assay.report.variance import variance_table
    from assay.store import load_run_dir

    rows = repeated_run_variance([load_run_dir(p) for p in args.runs], metric=args.metric)
    if not rows:
        raise AssayError("the runs share no task with a common metric and at least two common items")
    out.print(variance_table(rows))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assay", description="Evaluate language models with numbers you can trust.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="evaluate a model on tasks")
    run.add_argument("model", help="an alias (smollm2, gemma3-270m) or hf:ID_OR_PATH / gguf:PATH")
    run.add_argument("tasks", nargs="+", help="built-in suite or group, PATH.yaml, or PATH.jsonl")
    run.add_argument("--out", help="output directory (default runs/MODEL-TIME)")
    run.add_argument("--limit", type=int, help="first N samples of each task")
    run.add_argument("--seed", type=int, default=0, help="master seed: suite generation, few-shot choice, sampling")
    run.add_argument("--batch-size", type=_batch_size, default=None, help="'auto' (default) or N")
    run.add_argument("--cache", help="response cache file (default $ASSAY_HOME/responses.sqlite)")
    run.add_argument("--no-cache", action="store_true", help="do not read or write the response cache")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--chunk-size", type=int, default=64,
                     help="requests per model call between cache commits (a crash loses at most one chunk)")
    run.set_defaults(func=cmd_run)

    compare = sub.add_parser("compare", help="paired comparison of two runs, item by item")
    compare.add_argument("run_a", help="output directory of run A")
    compare.add_argument("run_b", help="output directory of run B")
    compare.add_argument("--metric", help="metric to compare (default: each task's first)")
    compare.add_argument("--correction", choices=["holm", "bh"], default="holm",
                         help="multiple-comparison correction across tasks (Holm or Benjamini-Hochberg)")
    compare.add_argument("--alpha", type=float, default=0.05)
    compare.add_argument("--seed", type=int, default=0, help="seed of the permutation/bootstrap resampling")
    compare.add_argument("--json", help="also write the comparison as JSON to this file")
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

    tasks = sub.add_parser("tasks", help="list built-in suites and groups")
    tasks.set_defaults(func=cmd_tasks)
    models = sub.add_parser("models", help="list model aliases and adapters")
    models.set_defaults(func=cmd_models)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "limit", None) is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    try:
        return int(args.func(args))
    except AssayError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        return 2


if __name__ == "__main__":
    sys.exit(main())
