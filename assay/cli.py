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

from assay.errors import AssayError, ConfigError

console = Console(stderr=True)
# Piped output gets a wide table rather than rich's 80-column default, so rows do not wrap.
out = Console() if sys.stdout.isatty() else Console(width=140)


_STORE_HELP = "results store: a SQLAlchemy URL or a SQLite file (default $ASSAY_STORE, else $ASSAY_HOME/store.sqlite)"


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


def _model_arg(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


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
    if args.formats > 1:  # each task once per sampled prompt format (the first is the default)
        from assay.analyses.robustness.runner import format_variants
        from assay.tasks.format_grammar import sample_formats

        formats = sample_formats(args.formats, args.format_seed)
        tasks = [v for t in tasks for v in format_variants(t, formats)]
    started = time.perf_counter()
    options = ModelOptions(batch_size=args.batch_size, extra=dict(args.model_arg))
    model = load_model(args.model, options, progress=lambda m: console.print(f"[dim]{m}"))
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
        model.close()
    write_run(run, out_dir)
    try:  # the run's files are written: a store failure must only warn
        from assay.store import save_run_dir

        stored = save_run_dir(out_dir, args.store)
        console.print(f"[dim]saved run {stored.run_id} to the results store[/]")
    except Exception as exc:  # noqa: BLE001 - nothing may cost a finished run its output
        console.print(f"[yellow]warning[/]: the run was not saved to the results store ({exc}); "
                      f"its files are in {out_dir}: `assay import {out_dir}` stores it later", highlight=False)
    results = json.loads((out_dir / "results.json").read_text())
    out.print(results_table(results))
    if args.formats > 1:
        from assay.analyses.robustness.runner import spreads_of_run
        from assay.report.robustness import spread_table

        out.print(spread_table(spreads_of_run(run)))
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


def cmd_runs(args: argparse.Namespace) -> int:
    from assay.store import ResultsStore

    with ResultsStore(args.store) as store:
        runs = store.runs(model=args.model, limit=args.limit)
        where = store.display_url
    if args.json:
        out.print_json(json.dumps([r.__dict__ for r in runs], default=list))
        return 0
    table = Table(title=f"runs in {where}")
    table.add_column("run id", no_wrap=True)
    for col in ("model", "started", "tasks", "samples", "failed", "source"):
        table.add_column(col, overflow="fold")
    for r in runs:
        table.add_row(r.run_id, r.model, r.started or "", ", ".join(r.tasks), str(r.n_samples), str(r.n_failed),
                      r.source or "")
    out.print(table)
    if not runs:
        console.print("no runs yet: `assay run` saves each run here, `assay import OUT_DIR` adds existing ones")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from assay.store import ResultsStore

    with ResultsStore(args.store) as store:
        for path in args.dirs:
            info = store.import_dir(path)
            out.print(f"imported {info.run_id} ({info.model}, {info.n_tasks} tasks, {info.n_samples} samples) "
                      f"from {path}", highlight=False)
        console.print(f"store: {store.display_url}", highlight=False)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from assay.report.html import write_report
    from assay.store import load_runs

    path = write_report(load_runs(args.runs, args.store), args.output, title=args.title,
                        max_samples=args.max_samples)
    out.print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)", highlight=False)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from assay.web import check_bind, serve

    check_bind(args.host, args.allow_remote)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    console.print(f"assay dashboard on http://{shown}:{args.port}/  (Ctrl-C to stop)", highlight=False)
    serve(args.store, host=args.host, port=args.port, allow_remote=args.allow_remote)
    return 0


def cmd_robustness(args: argparse.Namespace) -> int:
    """`assay robustness ANALYSIS ...`: one prompt-robustness analysis, printed."""
    from assay.analyses.robustness import runner
    from assay.analyses.robustness.option_order import cyclic_permutations, random_permutations
    from assay.engine.cache import ResponseCache
    from assay.engine.run import RunOptions
    from assay.models import load_model
    from assay.paths import default_cache_path
    from assay.report import robustness as tables
    from assay.tasks.resolve import resolve_tasks

    if args.analysis == "grid":
        return _robustness_grid(args)
    options = RunOptions(limit=args.limit, seed=args.seed, show_progress=not args.quiet)
    if args.analysis != "versions":
        (task,) = resolve_tasks([args.task], seed=args.seed)  # validate the task before the slow model load
    model = load_model(args.model)
    cache = ResponseCache(Path(args.cache) if args.cache else default_cache_path())
    try:
        if args.analysis == "versions":
            seeds = [args.seed + 1000 * j for j in range(args.versions)]
            out.print(tables.versions_table(args.task, runner.run_versions(model, args.task, args.limit or 30,
                                                                            seeds, cache, options)))
        elif args.analysis == "bandit":
            from assay.tasks.format_grammar import sample_formats

            formats = sample_formats(args.formats, args.format_seed)
            n = len(task.load()) if args.limit is None else min(args.limit, len(task.load()))
            budget = args.budget or (len(formats) * n) // 2
            best, worst, calls = runner.bandit_search(model, task, formats, budget, cache, options, seed=args.seed)
            table = Table(title=f"Thompson-sampling format search on {args.task}")
            for col in ("", "format", "observed acc %", "calls"):
                table.add_column(col)
            table.add_row("best", formats[best.arm].id, f"{100 * best.estimate:.1f}", str(best.calls))
            table.add_row("worst", formats[worst.arm].id, f"{100 * worst.estimate:.1f}", str(worst.calls))
            table.add_row("model calls spent", "", "", str(calls))
            table.add_row("exhaustive", f"{len(formats)} formats x {n} items", "", str(len(formats) * n))
            out.print(table)
        elif args.analysis == "order":
            k = max(len(s.choices or ()) for s in task.load())
            perms = {f"cyclic-{i}": p for i, p in enumerate(cyclic_permutations(k))}
            perms.update({f"random-{i}": p for i, p in enumerate(random_permutations(k, args.random, args.seed))})
            out.print(tables.order_table(args.task, runner.run_option_order(model, task, perms, cache, options)))
        elif args.analysis == "consistency":
            report = runner.run_consistency(model, task, args.m, args.temperature, cache, options)
            out.print(tables.consistency_table(args.task, report))
        elif args.analysis == "perturb":
            reports = runner.run_perturbations(model, task, args.kinds, cache, options, args.seed)
            out.print(tables.perturbation_table(args.task, reports))
    finally:
        cache.close()
        model.close()
    return 0


def _instructions_file(path: str) -> dict[str, str]:
    """`--instructions FILE`: a YAML or JSON mapping of variant name -> instruction text."""
    import yaml

    file = Path(path)
    hint = 'one line per variant, e.g. `short: "Pick the correct option."` (an empty text means no instruction)'
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the instructions file: {exc.strerror or exc}", file=file,
                          field="--instructions") from None
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON: {exc.msg}", file=file, line=exc.lineno, hint=hint) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", file=file,
                          line=None if mark is None else mark.line + 1, hint=hint) from None
    if not isinstance(data, dict) or len(data) < 2:
        raise ConfigError("expected a mapping of at least two instruction names to their texts", file=file,
                          hint=hint)
    instructions = {}
    for name, value in data.items():
        if not isinstance(value, str):
            raise ConfigError(f"an instruction's text must be a string, got {type(value).__name__}", file=file,
                              field=str(name), hint=hint)
        if not str(name).strip():
            raise ConfigError("an instruction needs a non-empty name", file=file, field=repr(name), hint=hint)
        instructions[str(name).strip()] = value.strip()
    return instructions


def _robustness_grid(args: argparse.Namespace) -> int:
    """`assay robustness grid TASK... --models SPEC...`: every model on every task under every
    instruction, one model in memory at a time."""
    from assay.analyses.robustness.runner import MC_INSTRUCTIONS, run_instruction_grid_loading
    from assay.core.task import TaskKind
    from assay.engine.cache import ResponseCache
    from assay.engine.run import RunOptions
    from assay.models import Model, load_model, resolve_spec
    from assay.paths import default_cache_path
    from assay.report.robustness import grid_tables
    from assay.tasks.resolve import resolve_tasks

    tasks = resolve_tasks(args.tasks, seed=args.seed)
    if args.instructions:
        instructions = _instructions_file(args.instructions)
    else:
        generative = [t.name for t in tasks if t.kind is not TaskKind.MULTIPLE_CHOICE]
        if generative:
            raise ConfigError(f"the default instructions are for multiple-choice tasks, not {', '.join(generative)}",
                              field="--instructions", hint="pass --instructions FILE with texts that fit these tasks")
        instructions = dict(MC_INSTRUCTIONS)
    if len(set(args.models)) != len(args.models):
        raise ConfigError("a model is listed twice", field="--models")
    if not 1 <= args.top_k <= len(instructions):
        raise ConfigError(f"must be between 1 and the number of instructions ({len(instructions)})", field="--top-k")

    def progress(message: str) -> None:
        console.print(f"[dim]{message}")

    concrete = {spec: resolve_spec(spec, progress) for spec in args.models}  # a typo fails before any model runs

    def load(spec: str) -> Model:
        model = load_model(concrete[spec], progress=progress)
        console.print(f"[green]model[/] {spec} ready")
        return model

    options = RunOptions(limit=args.limit, seed=args.seed, show_progress=not args.quiet)
    cache = ResponseCache(Path(args.cache) if args.cache else default_cache_path())
    try:
        scores, grid = run_instruction_grid_loading(args.models, load, tasks, instructions, cache, options, args.top_k)
    finally:
        cache.close()
    sizes = {t.name: min(len(t.load()), args.limit) if args.limit else len(t.load()) for t in tasks}
    for table in grid_tables(grid, scores, instructions, sizes):
        out.print(table)
    return 0


_MODEL_HELP = "an alias (smollm2, gemma3-270m) or hf:ID_OR_PATH / gguf:PATH"


def _add_robustness(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rob = sub.add_parser("robustness", help="prompt robustness: format search, option order, consistency, "
                                            "randomized versions, rewrites, models x instructions")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--limit", type=int, help="first N samples (versions: N items per version, default 30)")
    common.add_argument("--seed", type=int, default=0)
    common.add_argument("--cache", help="response cache file (default $ASSAY_HOME/responses.sqlite)")
    common.add_argument("--quiet", action="store_true", help="no progress bar")
    analyses = rob.add_subparsers(dest="analysis", metavar="ANALYSIS", required=True)

    def analysis(name: str, help: str, task_help: str = "a task") -> argparse.ArgumentParser:
        parser = analyses.add_parser(name, help=help, parents=[common])
        parser.add_argument("model", help=_MODEL_HELP)
        parser.add_argument("task", help=task_help)
        parser.set_defaults(func=cmd_robustness)
        return parser

    bandit = analysis("bandit", "Thompson-sampling search for the best and worst prompt format")
    bandit.add_argument("--formats", type=int, default=10, metavar="K", help="formats to search")
    bandit.add_argument("--format-seed", type=int, default=0)
    bandit.add_argument("--budget", type=int, help="item calls (default half of exhaustive)")
    order = analysis("order", "option-order permutations and position bias")
    order.add_argument("--random", type=int, default=2, help="random permutations besides the cyclic ones")
    consistency = analysis("consistency", "agreement of m sampled answers per prompt")
    consistency.add_argument("--m", type=int, default=5, help="samples per prompt")
    consistency.add_argument("--temperature", type=float, default=0.7, help="sampling temperature")
    versions = analysis("versions", "effective accuracy over randomized versions", "a built-in suite name")
    versions.add_argument("--versions", type=int, default=3, help="randomized versions per item")
    perturb = analysis("perturb", "accuracy on answer-preserving rewrites")
    perturb.add_argument("--kinds", nargs="+", default=["shuffle-options", "distractor", "rename"],
                         help="rewrites to apply")
    grid = analyses.add_parser("grid", parents=[common],
                               help="models x instructions (MM-BigBench): best performance, mean relative gain, "
                                    "stability, adaptability")
    grid.add_argument("tasks", nargs="+", metavar="TASK", help="tasks, as for `assay run` (put them before --models)")
    grid.add_argument("--models", nargs="+", required=True, metavar="SPEC",
                      help="models as for `assay run` (smollm2, gemma3-270m, hf:ID_OR_PATH, gguf:PATH, ...), "
                           "loaded one at a time")
    grid.add_argument("--instructions", metavar="FILE",
                      help="YAML or JSON mapping of name -> instruction text, replacing each task's instruction "
                           "(default: 4 built-in multiple-choice variants)")
    grid.add_argument("--top-k", type=int, default=1, metavar="K", help="adaptability: an instruction's hit is "
                                                                        "being among a model's K best")
    grid.set_defaults(func=cmd_robustness)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assay", description="Evaluate language models with numbers you can trust.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="evaluate a model on tasks")
    run.add_argument("model", help="an alias (smollm2, gemma3-270m), hf:ID_OR_PATH, gguf:PATH, llamacpp:PATH_OR_ALIAS, "
                                   "openai:MODEL@http://host:port/v1 or vllm:ID")
    run.add_argument("tasks", nargs="+", help="built-in suite or group, PATH.yaml, or PATH.jsonl")
    run.add_argument("--out", help="output directory (default runs/MODEL-TIME)")
    run.add_argument("--limit", type=int, help="first N samples of each task")
    run.add_argument("--seed", type=int, default=0, help="master seed: suite generation, few-shot choice, sampling")
    run.add_argument("--batch-size", type=_batch_size, default=None, help="'auto' (default) or N")
    run.add_argument("--model-arg", action="append", type=_model_arg, default=[], metavar="KEY=VALUE",
                     help="adapter setting, repeatable (openai: concurrency=8, api_key_env=MY_KEY, "
                          "timeout_s=60, body.repeat_penalty=1.0; llamacpp: n_ctx=4096)")
    run.add_argument("--cache", help="response cache file (default $ASSAY_HOME/responses.sqlite)")
    run.add_argument("--no-cache", action="store_true", help="do not read or write the response cache")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--chunk-size", type=int, default=64,
                     help="requests per model call (answers are cached after each call and committed every 0.5 s)")
    run.add_argument("--store", help=_STORE_HELP)
    run.add_argument("--formats", type=int, default=1, metavar="K",
                     help="evaluate each task under K prompt formats sampled from the format grammar "
                          "(the first is the default) and print the spread")
    run.add_argument("--format-seed", type=int, default=0, help="seed for sampling the --formats formats")
    run.set_defaults(func=cmd_run)
    _add_robustness(sub)

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

    runs = sub.add_parser("runs", help="list the runs in the results store")
    runs.add_argument("--store", help=_STORE_HELP)
    runs.add_argument("--model", help="only this model's runs")
    runs.add_argument("--limit", type=int, help="the N most recent runs")
    runs.add_argument("--json", action="store_true", help="print JSON instead of a table")
    runs.set_defaults(func=cmd_runs)

    imp = sub.add_parser("import", help="add existing run directories to the results store")
    imp.add_argument("dirs", nargs="+", metavar="OUT_DIR", help="output directories of `assay run`")
    imp.add_argument("--store", help=_STORE_HELP)
    imp.set_defaults(func=cmd_import)

    report = sub.add_parser("report", help="write a single-file HTML report of one or more runs")
    report.add_argument("runs", nargs="+", metavar="RUN_DIR_OR_ID", help="run directories or run ids in the store")
    report.add_argument("-o", "--output", default="report.html", help="the HTML file to write (default report.html)")
    report.add_argument("--store", help=_STORE_HELP + " (to look up run ids)")
    report.add_argument("--title", help="the report's title")
    report.add_argument("--max-samples", type=int, help="embed at most N samples in the sample table")
    report.set_defaults(func=cmd_report)

    serve = sub.add_parser("serve", help="the local web dashboard over the results store")
    serve.add_argument("--store", help=_STORE_HELP)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback only without --allow-remote)")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--allow-remote", action="store_true",
                       help="allow a non-loopback --host: the dashboard has no login, use on trusted networks only")
    serve.set_defaults(func=cmd_serve)

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
