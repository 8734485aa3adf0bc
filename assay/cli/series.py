"""`assay series …`: a training run's checkpoints as one series (issue 20).

    assay run runs/pretrain arith-mc logic-mc --formulations cloze,listed   # each checkpoint, stored
    assay series list
    assay series show SERIES_ID [--skills] [--json] [--html report.html]
    assay series quality SERIES_ID... [--until-step N]
    assay series predict SERIES_ID --fit-until STEP       # later checkpoints from earlier ones
    assay series predict BIG_ID --from SMALL_ID...        # a larger model from smaller ones
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assay.cli._console import console, out


def _say(message: str) -> None:
    console.print(f"[dim]{message}[/]", highlight=False)


def cmd_run_series(args: argparse.Namespace) -> int:
    """`assay run SERIES TASKS`: evaluate every checkpoint (called by `assay run`)."""
    from assay.api import DEFAULT_CACHE, evaluate_series

    forms = [f.strip() for f in args.formulations.split(",") if f.strip()] if args.formulations else None
    try:
        manifest = evaluate_series(
            args.model, args.tasks, formulations=forms, shift=args.shift, limit=args.limit, seed=args.seed,
            cache=None if args.no_cache else (args.cache or DEFAULT_CACHE), out=args.out or "runs",
            store=args.store or True, batch_size=args.batch_size, show_progress=not args.quiet, console=console,
            on_message=_say)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: finished checkpoints are stored and every answer received is cached; "
                      "rerun the same command to resume")
        return 130
    console.print(f"series [bold]{manifest.id}[/]: {len(manifest.entries)} checkpoints evaluated "
                  f"(steps {', '.join(str(e.step) for e in manifest.entries)})", highlight=False)
    console.print(f"next: assay series show {manifest.id}", highlight=False)
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from rich.table import Table

    from assay.analyses.series import list_series

    table = Table(title="series")
    for name in ("id", "name", "checkpoints", "steps", "shift"):
        table.add_column(name)
    for m in list_series():
        steps = [e.step for e in m.entries]
        table.add_row(m.id, m.name, str(len(steps)), f"{steps[0]}…{steps[-1]}" if steps else "–",
                      "–" if m.shift is None else str(m.shift))
    out.print(table)
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from assay.analyses.series.public import show_series
    from assay.report.series import curves_table, gap_text

    curves = show_series(args.series, confidence=args.confidence, metric=args.metric, store=args.store)
    if args.json:
        out.print_json(json.dumps(curves.to_dict(), default=str))
        return 0
    out.print(curves_table(curves))
    if args.skills and curves.skills:
        for task in dict.fromkeys(c.task for c in curves.skills):
            out.print(curves_table(curves, skills=True, task=task))
    elif curves.skills:
        console.print(f"{len(curves.skills)} per-skill curves: add --skills to print them", highlight=False)
    prop = not curves.tasks or curves.tasks[0].proportion
    for task, gap in curves.gaps.items():
        out.print(f"{task}: {gap_text(gap, prop)}", highlight=False)
    console.print("* the paired test on the same items (Holm-corrected) says the score changed from the previous "
                  "checkpoint", highlight=False)
    if args.html:
        path = _write_html(curves, Path(args.html))
        console.print(f"wrote {path}", highlight=False)
    return 0


def _write_html(curves, path: Path, quality=(), forecasts=()) -> Path:  # type: ignore[no-untyped-def]
    from assay.analyses.series import load_series_runs
    from assay.report.html import write_report
    from assay.report.series import series_section

    runs = [run for _, run in load_series_runs(curves.manifest)]
    return write_report(runs[-1:], path, title=f"training run {curves.manifest.name}", max_samples=50,
                        sections=[series_section(curves, quality, forecasts)])


def _cmd_quality(args: argparse.Namespace) -> int:
    from assay.analyses.series.curves import recommend
    from assay.analyses.series.public import quality_of_series
    from assay.report.series import quality_table

    rows = quality_of_series(args.series, until_step=args.until_step, early_fraction=args.early_fraction,
                             metric=args.metric, store=args.store)
    if args.json:
        out.print_json(json.dumps([r.to_dict() for r in rows], default=str))
        return 0
    out.print(quality_table(rows, args.metric))
    for line in recommend(rows):
        out.print(f"- {line}", highlight=False)
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from assay.analyses.series import mean_errors
    from assay.analyses.series.public import forecast_series
    from assay.report.series import forecast_table

    methods = [m.strip() for m in args.method.split(",")] if args.method else ["cod", "passuntil"]
    rows = forecast_series(args.series, fit_until=args.fit_until, smaller=args.smaller or (), step=args.step,
                           until=args.until, methods=methods, tasks=args.task or None, confidence=args.confidence,
                           n_boot=args.n_boot, metric=args.metric or "acc", store=args.store)
    if args.json:
        out.print_json(json.dumps([r.to_dict() for r in rows], default=str))
        return 0
    out.print(forecast_table(rows))
    for method, e in mean_errors(rows).items():
        out.print(f"{method}: mean abs error {100 * e['mae']:.1f} points vs naive {100 * e['naive_mae']:.1f}; "
                  f"interval covered the truth {100 * e['coverage']:.0f}% of {e['n']}", highlight=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    series = sub.add_parser("series", help="a training run's checkpoints: curves, stability gap, signal quality, "
                                           "score prediction")
    ssub = series.add_subparsers(dest="series_command", required=True)
    store_help = "results store (default $ASSAY_STORE or $ASSAY_HOME/store.sqlite)"
    metric_help = ("the score to follow: a task metric (default: each task's primary, e.g. acc) or p_correct, "
                   "the probability of the correct option, or log_pass, the log-probability of generating the correct answer "
                   "(PassUntil's pass rate, in logs); both move before accuracy does")

    p = ssub.add_parser("list", help="the evaluated series")
    p.set_defaults(func=_cmd_list)

    p = ssub.add_parser("show", help="per-task and per-skill curves with CIs, neighbour tests, stability gap")
    p.add_argument("series", help="a series id (or prefix), or the folder/glob/YAML that defines it")
    p.add_argument("--skills", action="store_true", help="print the per-skill curves too")
    p.add_argument("--metric", help=metric_help)
    p.add_argument("--confidence", type=float, default=0.95)
    p.add_argument("--json", action="store_true", help="print everything as JSON")
    p.add_argument("--html", metavar="PATH", help="also write an HTML report with the plots")
    p.add_argument("--store", help=store_help)
    p.set_defaults(func=_cmd_show)

    p = ssub.add_parser("quality", help="E2LM signal quality per task and formulation, with a recommendation")
    p.add_argument("series", nargs="+", help="series ids: runs of different sizes or seeds on the same steps")
    p.add_argument("--until-step", type=int, help="judge only the checkpoints up to this step (e.g. the shift)")
    p.add_argument("--early-fraction", type=float, default=0.3,
                   help="checkpoints up to this fraction of the last step count as early (Kendall tau)")
    p.add_argument("--metric", help=metric_help)
    p.add_argument("--json", action="store_true")
    p.add_argument("--store", help=store_help)
    p.set_defaults(func=_cmd_quality)

    p = ssub.add_parser("predict", help="predict later checkpoints or a larger model (PassUntil law, COD)")
    p.add_argument("series", help="the series whose scores are predicted")
    p.add_argument("--fit-until", type=int, metavar="STEP", help="fit on checkpoints up to STEP, predict the later ones")
    p.add_argument("--from", dest="smaller", nargs="+", metavar="SERIES_ID",
                   help="predict this (larger) model from these smaller models' series")
    p.add_argument("--step", type=int, help="with --from: the target step (default: the last, up to --until)")
    p.add_argument("--until", type=int, help="ignore checkpoints after this step")
    p.add_argument("--method", help="cod,passuntil (default both)")
    p.add_argument("--task", action="append", help="only this task (repeatable)")
    p.add_argument("--confidence", type=float, default=0.9, help="prediction-interval level (default 0.9)")
    p.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples for the interval")
    p.add_argument("--metric", help="what to predict: acc (default) or p_correct")
    p.add_argument("--json", action="store_true")
    p.add_argument("--store", help=store_help)
    p.set_defaults(func=_cmd_predict)
