"""`assay efficiency` (a finished run's cost, energy and speed) and `assay scale` (test-time
scaling curves with Pareto fronts)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assay.cli._console import STORE_HELP, console, out
from assay.errors import ConfigError


def _ns(text: str) -> tuple[int, ...]:
    try:
        ns = tuple(sorted({int(x) for x in text.split(",") if x.strip()}))
    except ValueError:
        raise ConfigError(f"--n takes a comma-separated list of sample counts, got {text!r}", field="--n",
                          hint="--n 1,2,4,8,16") from None
    if not ns or ns[0] < 1:
        raise ConfigError(f"--n must list positive sample counts, got {text!r}", field="--n")
    return ns


def _model_args(pairs: list[str] | None) -> dict[str, str]:
    out_args = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ConfigError(f"--model-arg takes KEY=VALUE, got {pair!r}", field="--model-arg")
        out_args[key] = value
    return out_args


def cmd_efficiency(args: argparse.Namespace) -> int:
    from assay.analyses.efficiency.prices import load_prices
    from assay.analyses.efficiency.runner import efficiency_of
    from assay.report.efficiency import efficiency_table
    from assay.store import load_run

    prices = load_prices(args.prices)
    effs = [efficiency_of(load_run(r, args.store), prices=prices, roofline=args.roofline,
                          model_args=_model_args(args.model_arg), on_message=lambda m: console.print(m))
            for r in args.runs]
    out.print(efficiency_table(effs))
    for eff in effs:
        if eff.meter.get("energy_kind") == "estimated":
            console.print(f"[yellow]energy is estimated[/] for {eff.model}: {eff.meter.get('estimate')} "
                          f"({eff.meter.get('note')})", highlight=False)
        if eff.machine is not None:
            m = eff.machine
            console.print(f"roofline: {m.peak_flops / 1e9:.1f} GFLOP/s, {m.bandwidth / 1e9:.1f} GB/s measured here "
                          f"(load average {m.load_avg[0]:.2f})", highlight=False)
    if args.json:
        Path(args.json).write_text(json.dumps([e.to_dict() for e in effs], indent=2, default=float))
        console.print(f"wrote {args.json}")
    return 0


def cmd_scale(args: argparse.Namespace) -> int:
    from assay.analyses.efficiency.prices import load_prices
    from assay.analyses.efficiency.runner import scale_curve
    from assay.analyses.efficiency.scaling import ScaleSettings, Verifier
    from assay.report.efficiency import scale_section, scale_table

    settings = ScaleSettings(ns=_ns(args.n), temperature=args.temperature, max_tokens=args.max_tokens,
                             verifier=Verifier(args.verifier), subsets=args.subsets, seed=args.seed)
    prices = load_prices(args.prices)
    models = [m for m in args.model.split(",") if m]
    curve = scale_curve(models, args.task, settings, limit=args.limit, prices=prices,
                        cache=None if args.no_cache else (args.cache or "default"),
                        model_args=_model_args(args.model_arg), show_progress=True,
                        on_message=lambda m: console.print(m, highlight=False), verifier_model=args.verifier_model)
    out.print(scale_table(curve))
    if args.json:
        Path(args.json).write_text(json.dumps(curve.to_dict(), indent=2, default=float))
        console.print(f"wrote {args.json}")
    if args.html:
        from assay.report.html import write_report

        path = write_report(list(curve.runs.values()), args.html, title=f"assay scale: {curve.task}",
                            sections=[scale_section(curve)], max_samples=200)
        console.print(f"wrote {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    eff = sub.add_parser("efficiency", help="per-answer TTFT, TPOT, tokens/s, memory, energy, cost and cost-of-pass "
                                            "of finished runs")
    eff.add_argument("runs", nargs="+", metavar="RUN", help="run directories or run ids in the results store")
    eff.add_argument("--prices", help="price table YAML (default: $ASSAY_HOME/prices.yaml when it exists)")
    eff.add_argument("--roofline", action="store_true",
                     help="load each run's model to read its architecture and report measured/ideal time")
    eff.add_argument("--model-arg", action="append", metavar="KEY=VALUE", help="adapter setting for --roofline")
    eff.add_argument("--json", help="also write the figures as JSON to this file")
    eff.add_argument("--store", help=STORE_HELP + " (to look up run ids)")
    eff.set_defaults(func=cmd_efficiency)

    sc = sub.add_parser("scale", help="test-time scaling curves (best-of-N, majority vote, pass@N) against tokens, "
                                      "energy and cost, with Pareto fronts")
    sc.add_argument("model", help="a model spec, or several separated by commas (one Pareto front across all)")
    sc.add_argument("task", help="a generation task (built-in suite or task file)")
    sc.add_argument("--n", default="1,2,4,8,16", help="sample counts N; the largest is the pool per item")
    sc.add_argument("--temperature", type=float, default=0.7)
    sc.add_argument("--max-tokens", type=int, help="override the task's max_tokens")
    sc.add_argument("--verifier", choices=["loglik", "oracle", "none"], default="loglik",
                    help="best-of-N picks by the model's mean token log-prob (loglik), the task's scorer "
                         "(oracle: an upper bound), or is skipped")
    sc.add_argument("--verifier-model", metavar="MODEL",
                    help="score best-of-N answers with this model's log-probabilities (a reward or stronger model) "
                         "instead of each model's own")
    sc.add_argument("--subsets", type=int, default=200, help="random N-subsets per item for majority/best-of-N")
    sc.add_argument("--limit", type=int, help="first N items")
    sc.add_argument("--seed", type=int, default=0)
    sc.add_argument("--prices", help="price table YAML (default: $ASSAY_HOME/prices.yaml when it exists)")
    sc.add_argument("--cache", help="response cache file (default $ASSAY_HOME/responses.sqlite)")
    sc.add_argument("--no-cache", action="store_true", help="keep responses in memory only")
    sc.add_argument("--model-arg", action="append", metavar="KEY=VALUE", help="adapter setting (repeatable)")
    sc.add_argument("--json", help="write the curve as JSON to this file")
    sc.add_argument("--html", help="write an HTML report with the plots to this file")
    sc.set_defaults(func=cmd_scale)
