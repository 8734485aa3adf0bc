"""`assay verify RUN_A RUN_B`: whether two runs hold the same results (sharded or resumed vs single-process)."""

from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table

from assay.cli._console import console, out


def _short(value: object, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_verify(args: argparse.Namespace) -> int:
    from assay.store.verify import IGNORED, verify_runs

    result = verify_runs(args.run_a, args.run_b, max_differences=args.max_differences, rtol=args.rtol)
    if result.identical:
        out.print(f"[green]identical[/]: {result.samples_compared} samples and results.json agree "
                  f"({escape(str(result.a))} vs {escape(str(result.b))})", highlight=False)
        if args.show_ignored:
            for file, fields in IGNORED.items():
                out.print(f"ignored in {file}: {', '.join(fields)}", highlight=False)
        return 0
    table = Table(title=f"{result.n_differences} differences (first {len(result.differences)})")
    for col in ("file", "where", "run A", "run B"):
        table.add_column(col, overflow="fold")
    for file, where, a, b in result.differences:
        table.add_row(file, escape(where), escape(_short(a)), escape(_short(b)))
    out.print(table)
    console.print(f"[bold red]the runs differ[/] in {result.n_differences} places "
                  f"(timing and cache fields are ignored: `assay verify --show-ignored` lists them)", highlight=False)
    return 1


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    verify = sub.add_parser("verify", help="check that two runs (e.g. sharded vs single-process) have identical results")
    verify.add_argument("run_a", metavar="RUN_A", help="a run directory (--out of `assay run`)")
    verify.add_argument("run_b", metavar="RUN_B", help="another run directory")
    verify.add_argument("--max-differences", type=int, default=50, help="differences to list (default 50)")
    verify.add_argument("--show-ignored", action="store_true", help="list the timing fields left out of the comparison")
    verify.add_argument("--rtol", type=float, default=0.0,
                        help="relative tolerance for numbers (default 0: bit-identical; 1e-5 for backends whose "
                             "log-likelihoods move with the batch's make-up, such as hf)")
    verify.set_defaults(func=cmd_verify)
