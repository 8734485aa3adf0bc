"""`assay robustness ANALYSIS`: one prompt-robustness analysis (format search, option order,
consistency, randomized versions, rewrites, models x instructions), printed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from assay.cli._console import MODEL_HELP, console, out
from assay.errors import ConfigError

if TYPE_CHECKING:
    from assay.analyses.robustness.runner import FormatSearch


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
            search = runner.search_formats(model, task, formats, cache, options, budget=args.budget, seed=args.seed)
            out.print(_bandit_table(args.task, [f.id for f in formats], search))
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


def _bandit_table(task: str, format_ids: list[str], search: FormatSearch) -> Table:
    table = Table(title=f"Thompson-sampling format search on {task}")
    for col in ("", "format", "observed acc %", "calls"):
        table.add_column(col)
    table.add_row("best", format_ids[search.best.arm], f"{100 * search.best.estimate:.1f}", str(search.best.calls))
    table.add_row("worst", format_ids[search.worst.arm], f"{100 * search.worst.estimate:.1f}", str(search.worst.calls))
    table.add_row("model calls spent", "", "", str(search.calls))
    table.add_row("exhaustive", f"{len(format_ids)} formats x {search.n_items} items", "", str(search.exhaustive_calls))
    return table


def _robustness_grid(args: argparse.Namespace) -> int:
    """`assay robustness grid TASK... --models SPEC...`: every model on every task under every
    instruction, one model in memory at a time."""
    from assay.analyses.robustness.instructions_file import instructions_for
    from assay.analyses.robustness.runner import run_instruction_grid_loading
    from assay.engine.cache import ResponseCache
    from assay.engine.run import RunOptions
    from assay.models import Model, load_model, resolve_spec
    from assay.paths import default_cache_path
    from assay.report.robustness import grid_tables
    from assay.tasks.resolve import resolve_tasks

    tasks = resolve_tasks(args.tasks, seed=args.seed)
    instructions = instructions_for(tasks, args.instructions or None)
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


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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
        parser.add_argument("model", help=MODEL_HELP)
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
