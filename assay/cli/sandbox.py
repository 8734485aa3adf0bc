"""`assay sandbox run FILE.py` and `assay sandbox info`: run a program in the code sandbox."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assay.cli._console import console, out
from assay.errors import ConfigError


def cmd_run(args: argparse.Namespace) -> int:
    from assay.scoring.sandbox import Sandbox, SandboxLimits

    path = Path(args.file)
    if not path.is_file():
        raise ConfigError("program file not found", file=path)
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text: {exc.reason}", file=path) from None
    box = Sandbox(SandboxLimits(timeout_s=args.timeout, memory_mb=args.memory_mb), mechanism=args.mechanism,
                  unsafe=args.unsafe, retries=args.retries)
    result = box.run(source)
    if args.json:
        keys = ("status", "exit_code", "stdout", "stderr", "wall_s", "mechanism", "message", "attempts", "flaky")
        data = result.to_dict()
        out.print(json.dumps({k: data[k] for k in keys}), highlight=False, soft_wrap=True)
    else:
        if result.stdout:
            out.print(result.stdout, end="", highlight=False, markup=False)
        if result.stderr:
            console.print(result.stderr, end="", highlight=False, markup=False)
        colour = "green" if result.passed else "red"
        console.print(f"[{colour}]{result.status.value}[/] in {result.wall_s:.2f} s under {result.mechanism}"
                      + (f": {result.message}" if result.message else "")
                      + (f" (after {result.attempts} attempts)" if result.attempts > 1 else ""), highlight=False)
    return 0 if result.passed else 1


def cmd_info(args: argparse.Namespace) -> int:
    from assay.scoring.sandbox.mechanisms import Mechanism, probe

    rows = {m.value: probe(m) for m in Mechanism}
    if args.json:
        out.print(json.dumps({k: {"works": v is not None, "python": v} for k, v in rows.items()}), highlight=False)
        return 0
    for name, python in rows.items():
        state = f"[green]works[/] ({python})" if python else "[red]not available[/]"
        out.print(f"{name:8} {state}" + ("  — no network isolation: only with --unsafe" if name == "none" else ""))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("sandbox", help="run untrusted code in the code sandbox (docs/code.md)")
    commands = group.add_subparsers(dest="sandbox_command", required=True)
    run = commands.add_parser("run", help="run FILE.py with no network, a read-only filesystem and limits")
    run.add_argument("file", metavar="FILE.py")
    run.add_argument("--timeout", type=float, default=10.0, help="wall-clock seconds (default 10)")
    run.add_argument("--memory-mb", type=int, default=1024, help="address-space limit in MiB (default 1024)")
    run.add_argument("--retries", type=int, default=0, help="re-run a non-passing program up to R times")
    run.add_argument("--mechanism", choices=("auto", "bwrap", "unshare", "none"), default="auto",
                     help="isolation to use (default: the strongest that works here)")
    run.add_argument("--unsafe", action="store_true", help="allow running without network isolation")
    run.add_argument("--json", action="store_true", help="print one JSON object: status, exit_code, stdout, ...")
    run.set_defaults(func=cmd_run)
    info = commands.add_parser("info", help="which isolation mechanisms work on this machine")
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=cmd_info)
