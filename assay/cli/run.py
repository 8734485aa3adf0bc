"""`assay run`: evaluate a model on tasks, write the run directory, store it and print its table."""

from __future__ import annotations

import argparse
import json
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


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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
    run.add_argument("--store", help=STORE_HELP)
    run.add_argument("--formats", type=int, default=1, metavar="K",
                     help="evaluate each task under K prompt formats sampled from the format grammar "
                          "(the first is the default) and print the spread")
    run.add_argument("--format-seed", type=int, default=0, help="seed for sampling the --formats formats")
    run.set_defaults(func=cmd_run)
