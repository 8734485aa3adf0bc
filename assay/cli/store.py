"""`assay runs`, `assay import`, `assay report` and `assay serve`: the results store and its views."""

from __future__ import annotations

import argparse
import json

from rich.table import Table

from assay.cli._console import STORE_HELP, console, out


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


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    runs = sub.add_parser("runs", help="list the runs in the results store")
    runs.add_argument("--store", help=STORE_HELP)
    runs.add_argument("--model", help="only this model's runs")
    runs.add_argument("--limit", type=int, help="the N most recent runs")
    runs.add_argument("--json", action="store_true", help="print JSON instead of a table")
    runs.set_defaults(func=cmd_runs)

    imp = sub.add_parser("import", help="add existing run directories to the results store")
    imp.add_argument("dirs", nargs="+", metavar="OUT_DIR", help="output directories of `assay run`")
    imp.add_argument("--store", help=STORE_HELP)
    imp.set_defaults(func=cmd_import)

    report = sub.add_parser("report", help="write a single-file HTML report of one or more runs")
    report.add_argument("runs", nargs="+", metavar="RUN_DIR_OR_ID", help="run directories or run ids in the store")
    report.add_argument("-o", "--output", default="report.html", help="the HTML file to write (default report.html)")
    report.add_argument("--store", help=STORE_HELP + " (to look up run ids)")
    report.add_argument("--title", help="the report's title")
    report.add_argument("--max-samples", type=int, help="embed at most N samples in the sample table")
    report.set_defaults(func=cmd_report)

    serve = sub.add_parser("serve", help="the local web dashboard over the results store")
    serve.add_argument("--store", help=STORE_HELP)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback only without --allow-remote)")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--allow-remote", action="store_true",
                       help="allow a non-loopback --host: the dashboard has no login, use on trusted networks only")
    serve.set_defaults(func=cmd_serve)
