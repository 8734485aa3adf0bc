"""`assay diagnose RUN...`: per-skill mastery (DINA) with intervals, and the weakest-link table."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assay.cli._console import STORE_HELP, console, out


def cmd_diagnose(args: argparse.Namespace) -> int:
    from assay.analyses.diagnose import diagnose_runs
    from assay.report.diagnose import mastery_table, weakest_link_table, write_diagnosis_report
    from assay.store import load_run

    runs = [load_run(r, args.store) for r in args.runs]
    diag = diagnose_runs(runs, tasks=args.task or None, min_items=args.min_items, seed=args.seed)
    out.print(mastery_table(diag))
    if diag.cross:
        out.print(weakest_link_table(diag.cross))
    if args.json:
        Path(args.json).write_text(json.dumps(diag.to_dict(), indent=2, default=float))
        console.print(f"wrote {args.json}")
    if args.html:
        console.print(f"wrote {write_diagnosis_report(diag, args.html)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("diagnose", help="which skills a model lacks: DINA mastery per skill, weakest-link table")
    p.add_argument("runs", nargs="+", metavar="RUN", help="run directories or ids (several models make the fit firmer)")
    p.add_argument("--task", action="append", help="only this task (repeatable)")
    p.add_argument("--min-items", type=int, default=3, help="skills needed by fewer items are left out (default 3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="OUT")
    p.add_argument("--html", metavar="OUT", help="write the skill chart and weakest-link table as HTML")
    p.add_argument("--store", default=None, help=STORE_HELP)
    p.set_defaults(func=cmd_diagnose)
