"""`assay run`: evaluate a model on tasks, write the run directory, store it and print its table."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from assay.cli._console import STORE_HELP, console, out


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
    if args.data_dir:  # the catalog reads $ASSAY_DATA when it resolves its tasks
        os.environ["ASSAY_DATA"] = args.data_dir
    from assay.api import DEFAULT_CACHE, evaluate
    from assay.report.terminal import results_table

    from assay.analyses.series import is_series_spec

    if is_series_spec(args.model):  # a training run's checkpoints: one stored run each (issue 20)
        from assay.cli.series import cmd_run_series

        return cmd_run_series(args)
    out_dir = Path(args.out) if args.out else _default_out(args.model)
    if args.adaptive:
        return _cmd_run_adaptive(args, out_dir)
    try:
        run = evaluate(
            args.model, args.tasks, limit=args.limit, seed=args.seed,
            cache=None if args.no_cache else (args.cache or DEFAULT_CACHE),
            model_args=dict(args.model_arg), batch_size=args.batch_size, formats=args.formats,
            format_seed=args.format_seed, out=out_dir, store=args.store or True, show_progress=not args.quiet,
            chunk_size=args.chunk_size, console=console,
            on_message=lambda m: console.print(f"[dim]{m}[/]", highlight=False), executor=_executor(args),
        )
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: every answer received is in the response cache; "
                      "rerun the same command to resume")
        return 130
    out.print(results_table(run))
    if args.formats > 1:
        from assay.analyses.robustness.runner import spreads_of_run
        from assay.report.robustness import spread_table

        out.print(spread_table(spreads_of_run(run)))
    stats = run.manifest.get("requests", {})
    console.print(f"requests: {stats.get('unique_requests', 0)} unique, {stats.get('cache_hits', 0)} from cache, "
                  f"{stats.get('computed', 0)} computed, {stats.get('failed', 0)} failed  ·  "
                  f"wrote {out_dir}/samples.jsonl and results.json", highlight=False)
    sharded = run.manifest.get("executor")
    if sharded:
        console.print(f"ray: {sharded['workers']} workers on {len(sharded['nodes'])} node(s), {len(sharded['deaths'])} died, "
                      f"{sharded['retried_units']} units retried on another worker", highlight=False)
    first_error = next((s.error for s in run.samples if s.error), None)
    if run.all_failed:
        console.print(f"[bold red]every sample failed[/]; the first error: {first_error}", highlight=False)
        return 1
    if first_error:
        console.print(f"[yellow]{run.n_failed} samples failed[/] (first error: {first_error}); "
                      "rerun the same command to retry them", highlight=False)
    return 0


def _executor(args: argparse.Namespace) -> object | None:
    """`--executor ray` as a `RayExecutor`; None runs in this process."""
    if args.executor == "local":
        if args.ray_address or args.workers:
            from assay.errors import ConfigError

            raise ConfigError("--ray-address and --workers need --executor ray", field="--executor")
        return None
    from assay.engine.executors import RayExecutor

    return RayExecutor(address=args.ray_address, workers=args.workers or 2)


def _cmd_run_adaptive(args: argparse.Namespace, out_dir: Path) -> int:
    from assay.api import DEFAULT_CACHE, evaluate_adaptive
    from assay.errors import ConfigError
    from assay.report.irt import adaptive_run_table

    if not args.calibration:
        raise ConfigError("--adaptive needs --calibration items.json (from `assay irt fit`)", field="--calibration")
    if len(args.tasks) != 1 or args.formats > 1:
        raise ConfigError("--adaptive takes exactly one task and no --formats", field="TASK")
    try:
        run = evaluate_adaptive(
            args.model, args.tasks[0], args.calibration, target_se=args.target_se, max_items=args.max_items,
            seed=args.seed, cache=None if args.no_cache else (args.cache or DEFAULT_CACHE),
            model_args=dict(args.model_arg), batch_size=args.batch_size, out=out_dir, store=args.store or True,
            show_progress=not args.quiet, chunk_size=args.chunk_size, console=console,
            on_message=lambda m: console.print(f"[dim]{m}[/]", highlight=False))
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: every answer received is in the response cache; rerun the same "
                      "command to resume the adaptive test (it replays to the same item sequence)")
        return 130
    summary = run.manifest.get("adaptive", {})
    if "estimate" not in summary:
        console.print(f"[bold red]the adaptive test failed[/]: {summary.get('error')}; rerun to resume",
                      highlight=False)
        return 1
    out.print(adaptive_run_table(run))
    for warning in summary["estimate"]["warnings"]:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    console.print(f"wrote {out_dir}/samples.jsonl and results.json (manifest: the item sequence and estimate)",
                  highlight=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    run = sub.add_parser("run", help="evaluate a model on tasks")
    run.add_argument("model", help="a checkpoint series (a folder of step-N checkpoints, a glob, a series YAML), "
                     "or an alias (smollm2, gemma3-270m), hf:ID_OR_PATH, gguf:PATH, llamacpp:PATH_OR_ALIAS, "
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
    run.add_argument("--store", help=STORE_HELP)
    run.add_argument("--formats", type=int, default=1, metavar="K",
                     help="evaluate each task under K prompt formats sampled from the format grammar "
                          "(the first is the default) and print the spread")
    run.add_argument("--data-dir", metavar="DIR",
                     help="local copies of catalog benchmarks (DIR/mmlu/test.jsonl, ...; default $ASSAY_DATA)")
    run.add_argument("--formulations", metavar="cloze,listed",
                     help="with a series: ask each multiple-choice task in these formulations (TASK@cloze, TASK@listed)")
    run.add_argument("--shift", type=int, metavar="STEP", help="with a series: the step of a domain shift (stability gap)")
    run.add_argument("--format-seed", type=int, default=0, help="seed for sampling the --formats formats")
    run.add_argument("--adaptive", action="store_true",
                     help="adaptive test: ask the most informative item next, from the answers so far (needs --calibration)")
    run.add_argument("--calibration", metavar="ITEMS_JSON", help="with --adaptive: item parameters from `assay irt fit`")
    run.add_argument("--target-se", type=float, default=None, help="with --adaptive: stop when the ability SE reaches this")
    run.add_argument("--max-items", type=int, default=50, help="with --adaptive: the item budget (default 50)")
    run.add_argument("--executor", choices=("local", "ray"), default="local",
                     help="where model calls run: this process (default) or Ray actors, sharded by request content")
    run.add_argument("--ray-address", metavar="ADDRESS",
                     help="with --executor ray: auto, HOST:PORT or ray://HOST:PORT (default: a private local Ray)")
    run.add_argument("--workers", type=int, metavar="N", help="with --executor ray: actors, each loading the model (default 2)")
    run.set_defaults(func=cmd_run)
