"""`assay envs`: list environments, show one (its instructions, tools, first observation),
and sum up a saved run's episodes (pass^k, trial spread, failures by party, cost per solved).

Environments run as tasks: `assay run MODEL env:NAME:n=10,trials=3` (docs/agents.md).
"""

from __future__ import annotations

import argparse
import json

from rich.table import Table

from assay.cli._console import out


def cmd_list(args: argparse.Namespace) -> int:
    from assay.agents.tasks import DEFAULT_PLAYERS
    from assay.envs import MultiAgentEnvironment, env_class, env_names

    table = Table(title="environments (run as tasks: env:NAME:n=INT,trials=INT,max_turns=INT,...; see docs/agents.md)")
    for col in ("env", "kind", "tools", "metrics", "description"):
        table.add_column(col)
    for name in env_names():
        if name.startswith("test-"):
            continue
        cls = env_class(name)
        multi = issubclass(cls, MultiAgentEnvironment)
        try:
            env = cls()
        except ValueError as exc:  # an optional source that is not installed (bfcl-eval)
            table.add_row(name, "-", "-", "-", f"{cls.description} — not runnable: {exc}")
            continue
        kind = f"game ({DEFAULT_PLAYERS.get(name, '')})" if multi else "single agent"
        tools = ", ".join(t["function"]["name"] for t in getattr(env, "tools", ()) or ()) or "-"
        table.add_row(name, kind, tools, ", ".join(env.metrics) or "-", cls.description)
    out.print(table)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from assay.agents.tasks import parse_env_options
    from assay.envs import env_class
    from assay.errors import UnknownNameError
    from assay.envs import env_names

    name, _, opts = args.env.partition(":")
    try:
        cls = env_class(name)
    except KeyError:
        raise UnknownNameError("environment", name, env_names()) from None
    params = parse_env_options(name, opts)
    env = cls(**params)
    out.print(f"[bold]{name}[/]: {cls.description}")
    if env.instructions:
        out.print("[bold]instructions:[/] ", end="")
        out.print(env.instructions, markup=False, highlight=False)
    first = env.reset(args.seed)  # before the tools: an episode may pick them (bfcl, bfcl-multi-turn)
    for tool in getattr(env, "tools", ()) or ():
        out.print("[bold]tool[/] ", end="")
        out.print(json.dumps(tool["function"]), markup=False, highlight=False)
    views = [first] if isinstance(first, str) else first
    for i, view in enumerate(views):
        out.print(f"[bold]observation{'' if len(views) == 1 else f' (player {i})'} for seed {args.seed}:[/]")
        out.print(view, markup=False, highlight=False)  # game boards hold [up], [4]: not markup
    return 0


def _fmt(x: float) -> str:
    return "-" if x is None or x != x else f"{x:.3g}"  # x != x: NaN


def cmd_summary(args: argparse.Namespace) -> int:
    from assay.agents.metrics import summarize_episodes
    from assay.api import load_run

    run = load_run(args.run)
    summaries = summarize_episodes(run.samples)
    if not summaries:
        out.print("no environment episodes in this run")
        return 1
    if args.json:
        out.print_json(json.dumps({k: v.to_dict() for k, v in summaries.items()}))
        return 0
    for task, s in summaries.items():
        table = Table(title=f"{task}: {s.episodes} episodes x {s.trials} trials ({run.model})")
        table.add_column("measure")
        table.add_column("value")
        table.add_row("success", _fmt(s.success))
        for k, (est, lo, hi) in s.pass_k.items():
            table.add_row(f"pass^{k}", f"{_fmt(est)} [{_fmt(lo)}, {_fmt(hi)}]")
        if s.trial_success:
            table.add_row("success by trial", ", ".join(_fmt(x) for x in s.trial_success)
                          + (f" (sd {_fmt(s.trial_std)})" if len(s.trial_success) > 1 else ""))
        table.add_row("outcomes", ", ".join(f"{k} {v}" for k, v in s.outcomes.items()))
        table.add_row("failures by party", ", ".join(f"{k} {v}" for k, v in s.parties.items()))
        table.add_row("over-budget ratio", _fmt(s.over_budget))
        table.add_row("correction success", f"{_fmt(s.correction)} ({s.errors} errors)")
        table.add_row("tokens per episode", _fmt(s.tokens_mean))
        table.add_row("cost per solved task", _fmt(s.cost_per_solved))
        if s.failed_samples:
            table.add_row("failed samples (model errors)", str(s.failed_samples))
        out.print(table)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    envs = sub.add_parser("envs", help="environments for agents and games: list, show, summarise a run's episodes")
    inner = envs.add_subparsers(dest="envs_command")
    envs.set_defaults(func=cmd_list)
    listing = inner.add_parser("list", help="list the registered environments")
    listing.set_defaults(func=cmd_list)
    show = inner.add_parser("show", help="an environment's instructions, tools and first observation")
    show.add_argument("env", help="NAME or NAME:param=value,...")
    show.add_argument("--seed", type=int, default=0)
    show.set_defaults(func=cmd_show)
    summary = inner.add_parser("summary", help="pass^k, trial spread, failures by party, cost per solved task of a run")
    summary.add_argument("run", help="a run directory or run id")
    summary.add_argument("--json", action="store_true", help="print JSON")
    summary.set_defaults(func=cmd_summary)
