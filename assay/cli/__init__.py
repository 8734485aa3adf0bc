"""The `assay` command: parses arguments, calls the library, prints. No logic of its own.

One module per command group registers its subcommands (`register(sub)`) and their handlers;
this module assembles the parser and turns an `AssayError` into one red line and exit status 2.
"""

from __future__ import annotations

import argparse
from typing import Sequence

from assay.cli import arena, catalog, compare, efficiency, integrity, robustness, run, store
from assay.cli import diagnose, irt
from assay.cli import sandbox
from assay.cli import envs
from assay.cli import verify
from assay.cli import series
from assay.cli._console import console
from assay.errors import AssayError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assay", description="Evaluate language models with numbers you can trust.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (run, robustness, integrity, compare, efficiency, arena, irt, diagnose, sandbox, envs, store, verify, series, catalog):  # the order of `assay --help`
        group.register(sub)
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

