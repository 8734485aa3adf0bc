"""`assay irt fit|estimate|anchors|report`: item response theory over a response matrix."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assay.cli._console import STORE_HELP, console, out
from assay.errors import ConfigError


def _matrix(args: argparse.Namespace):
    from assay.analyses.irt_data import matrix_from_runs, read_response_csv
    from assay.store import load_run

    if args.runs:
        return matrix_from_runs([load_run(r, args.store) for r in args.runs], task=args.task, metric=args.metric)
    if not args.csv:
        raise ConfigError("give a response CSV or --runs RUN...", field="CSV",
                          hint="assay irt fit responses.csv -o items.json   or   assay irt fit --runs RUN1 RUN2 -o items.json")
    return read_response_csv(args.csv)


def cmd_fit(args: argparse.Namespace) -> int:
    from assay.analyses.irt_calibration import calibrate, save_calibration
    from assay.report.irt import calibration_table

    matrix = _matrix(args)
    with console.status(f"calibrating {len(matrix.items)} items on {len(matrix.rows)} rows ({args.model}, "
                        f"{args.boot} bootstrap refits)"):
        cal = calibrate(matrix, args.model, n_boot=args.boot, rng=args.seed)
    save_calibration(cal, args.output)
    out.print(calibration_table(cal))
    if not cal.fit.converged:
        console.print(f"[yellow]warning:[/] EM stopped after {cal.fit.n_iter} cycles without converging")
    console.print(f"wrote {args.output}")
    return 0


def cmd_estimate(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from assay.analyses.irt_calibration import load_calibration
    from assay.analyses.irt_data import read_response_csv
    from assay.analyses.irt_estimate import estimate_rows
    from assay.report.irt import estimate_table

    cal = load_calibration(args.calibration)
    matrix = read_response_csv(args.csv)
    with Progress(console=console, transient=True) as bar:
        job = bar.add_task("estimating", total=len(matrix.rows))
        rows, check = estimate_rows(cal, matrix, args.items, strategy=args.strategy, estimator=args.estimator,
                                    seed=args.seed, source=args.csv, progress=lambda n: bar.update(job, completed=n))
    out.print(estimate_table(rows, check))
    for r in rows:
        for w in r.warnings:
            console.print(f"[yellow]warning:[/] {r.row}: {w}", highlight=False)
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": [r.to_dict() for r in rows],
                                               "strategy": args.strategy, "estimator": args.estimator,
                                               "items": args.items, "lambda": check.lam}, indent=2))
        console.print(f"wrote {args.json}")
    return 0


def cmd_anchors(args: argparse.Namespace) -> int:
    from assay.analyses.adaptive import select_anchors, calibration_abilities
    from assay.analyses.irt_calibration import load_calibration

    cal = load_calibration(args.calibration)
    design = select_anchors(cal.params, calibration_abilities(cal.params, cal.matrix.values, cal.fit.quadrature),
                            args.k, args.seed)
    data = {"calibration": str(args.calibration), "task": cal.matrix.task, "k": int(len(design.items)),
            "anchors": [{"id": cal.items[j], "weight": float(w), "a": float(cal.params.a[j]),
                         "b": float(cal.params.b[j])} for j, w in zip(design.items, design.weights)]}
    Path(args.output).write_text(json.dumps(data, indent=2) + "\n")
    out.print(f"{len(design.items)} anchor items (weights = cluster shares of the {len(cal.items)} items)")
    console.print(f"wrote {args.output}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from assay.analyses.irt_calibration import load_calibration
    from assay.report.irt import write_irt_report

    cal = load_calibration(args.calibration)
    path = write_irt_report(cal, args.output, title=f"IRT calibration: {Path(args.calibration).name}")
    console.print(f"wrote {path}")
    return 0


def cmd_difficulty(args: argparse.Namespace) -> int:
    from assay.analyses.difficulty import DifficultyPredictor, cross_validate, item_text
    from assay.analyses.irt_calibration import load_calibration
    from assay.api import resolve_task_args

    cal = load_calibration(args.calibration)
    (task,) = resolve_task_args(args.task)
    samples = {s.id: s for s in task.load()}
    known = [j for j, item in enumerate(cal.items) if item in samples]
    if len(known) < 5:
        raise ConfigError(f"only {len(known)} calibrated items are in task {task.name!r}; need at least 5",
                          file=args.calibration, field="items")
    texts = [item_text(samples[cal.items[j]]) for j in known]
    b = cal.params.b[known]
    check, _ = cross_validate(texts, b, folds=args.folds, seed=args.seed)
    out.print(f"held-out ({check.folds}-fold) correlation of predicted with fitted difficulty on {check.n_items} "
              f"items: Pearson {check.pearson:.2f} [{check.ci_low:.2f}, {check.ci_high:.2f}], "
              f"Spearman {check.spearman:.2f}")
    model = DifficultyPredictor().fit(texts, b)
    new = [s for sid, s in samples.items() if sid not in set(cal.items)]
    predicted = model.predict([item_text(s) for s in new]) if new else []
    out.print(f"predicted difficulty for {len(new)} uncalibrated item(s) of {task.name}")
    if args.json:
        Path(args.json).write_text(json.dumps({"held_out": check.to_dict(),
                                               "predicted": [{"id": s.id, "b": float(v)} for s, v in zip(new, predicted)]},
                                              indent=2))
        console.print(f"wrote {args.json}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    irt = sub.add_parser("irt", help="item response theory: calibrate items, estimate from a few, anchors")
    isub = irt.add_subparsers(dest="irt_command", required=True)

    fit = isub.add_parser("fit", help="calibrate items (1PL/2PL/3PL, MML-EM) on a response CSV or on runs")
    fit.add_argument("csv", nargs="?", help="CSV: a row-name column, then one column per item; 1/0 (or 1/-1), blank = missing")
    fit.add_argument("--runs", nargs="+", metavar="RUN", help="run directories or ids instead of a CSV (rows = model and format)")
    fit.add_argument("--task", help="with --runs: the task (when the runs hold several)")
    fit.add_argument("--metric", help="with --runs: the metric (default: each task's primary)")
    fit.add_argument("--model", choices=["1pl", "2pl", "3pl"], default="2pl")
    fit.add_argument("--boot", type=int, default=20, help="bootstrap refits over rows, for item-parameter uncertainty (default 20)")
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--store", default=None, help=STORE_HELP)
    fit.add_argument("-o", "--output", required=True, help="the calibration file to write (items.json)")
    fit.set_defaults(func=cmd_fit)

    est = isub.add_parser("estimate", help="simulate subset evaluation on rows with known full responses")
    est.add_argument("calibration", help="items.json from `assay irt fit`")
    est.add_argument("csv", help="response CSV whose rows are evaluated from --items of the items")
    est.add_argument("--items", type=int, required=True, help="how many items each row is evaluated on")
    est.add_argument("--strategy", choices=["adaptive", "anchors", "random"], default="adaptive")
    est.add_argument("--estimator", choices=["gpirt", "pirt", "irt"], default="gpirt",
                     help="gpirt (default: combination with the observed mean), pirt, or pure irt prediction")
    est.add_argument("--seed", type=int, default=0)
    est.add_argument("--json", metavar="OUT", help="write {\"rows\": [...]} here")
    est.set_defaults(func=cmd_estimate)

    anc = isub.add_parser("anchors", help="choose K anchor items (tinyBenchmarks-style clustering)")
    anc.add_argument("calibration")
    anc.add_argument("--k", type=int, required=True)
    anc.add_argument("--seed", type=int, default=0)
    anc.add_argument("-o", "--output", required=True)
    anc.set_defaults(func=cmd_anchors)

    dif = isub.add_parser("difficulty", help="predict item difficulty from item text (held-out correlation, new items)")
    dif.add_argument("calibration")
    dif.add_argument("task", help="the task whose items' texts are read (a built-in suite or a task file)")
    dif.add_argument("--folds", type=int, default=5)
    dif.add_argument("--seed", type=int, default=0)
    dif.add_argument("--json", metavar="OUT")
    dif.set_defaults(func=cmd_difficulty)

    rep = isub.add_parser("report", help="HTML report: item map and test-information curve")
    rep.add_argument("calibration")
    rep.add_argument("-o", "--output", default="irt-report.html")
    rep.set_defaults(func=cmd_report)
