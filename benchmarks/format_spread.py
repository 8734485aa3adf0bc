"""Format spread of the bundled models on built-in multiple-choice suites, and FormatSpread's
bandit search against exhaustive evaluation.

For each model and suite: K formats sampled from `FormatGrammar` (the first is the default
format), every item under every format, then per suite the min / max / range / std of the
formats' accuracies with each extreme's Wilson 95% CI. The bandit (Thompson sampling, half
the budget for the best and half for the worst) is then replayed on the real (formats x
items) score matrix over several seeds: how many item calls it needed before it settled on
the true best and worst formats, vs the K x n calls of exhaustive evaluation.

    .venv/bin/python benchmarks/format_spread.py                       # both models, 10 formats, 40 items
    .venv/bin/python benchmarks/format_spread.py --models smollm2 --n 24 --formats 10
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
from rich.console import Console
from rich.table import Table

from assay.analyses.robustness.bandit import find_extremes
from assay.analyses.robustness.runner import run_format_spread, score_matrix
from assay.core.task import FewShot
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions
from assay.models import load_model
from assay.tasks.builtin import make_builtin
from assay.tasks.format_grammar import sample_formats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["smollm2", "gemma3-270m"])
    parser.add_argument("--suites", nargs="+", default=["arith-mc", "logic-mc"])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--formats", type=int, default=10)
    parser.add_argument("--format-seed", type=int, default=0)
    parser.add_argument("--shots", type=int, default=1)
    parser.add_argument("--budget", type=float, default=0.5, help="bandit budget as a share of K x n")
    parser.add_argument("--bandit-seeds", type=int, default=20)
    parser.add_argument("--cache", default=None, help="response cache (default: in memory)")
    args = parser.parse_args()
    console = Console()
    formats = sample_formats(args.formats, args.format_seed)
    cache = ResponseCache(args.cache)
    spread_table = Table(title=f"Format spread over {len(formats)} formats (acc, %, Wilson 95% CI)")
    for col in ("model", "suite", "n", "default", "min [CI]", "max [CI]", "range", "std", "worst", "best"):
        spread_table.add_column(col)
    bandit_table = Table(title=f"Thompson-sampling search, budget {args.budget:.0%} of exhaustive, "
                               f"{args.bandit_seeds} seeds")
    for col in ("model", "suite", "exhaustive calls", "found both", "found both ±2 items", "median calls-to-find",
                "calls spent", "interval found", "true interval"):
        bandit_table.add_column(col)
    for spec in args.models:
        start = time.perf_counter()
        model = load_model(spec)
        for suite in args.suites:
            task = make_builtin(suite, args.n, 0)
            if args.shots:
                task = replace(task, fewshot=FewShot(k=args.shots))
            run, spreads = run_format_spread(model, [task], formats, cache, RunOptions(show_progress=False))
            s = spreads[0]
            pct = lambda v: f"{100 * v:.1f}"  # noqa: E731
            spread_table.add_row(
                spec, suite, str(args.n), pct(s.default.accuracy) if s.default else "-",
                f"{pct(s.worst.accuracy)} [{pct(s.worst.ci_low)}, {pct(s.worst.ci_high)}]",
                f"{pct(s.best.accuracy)} [{pct(s.best.ci_low)}, {pct(s.best.ci_high)}]",
                pct(s.range), pct(s.std), s.worst.format, s.best.format,
            )
            _, matrix = score_matrix(run)
            budget = int(args.budget * matrix.size)
            results = [find_extremes(matrix, budget, batch_size=4, seed=seed) for seed in range(args.bandit_seeds)]
            found = [r.calls_to_find() for r in results]
            hits = [f for f in found if f is not None]
            # Formats a couple of items apart are not distinguishable at this n: count them as found too.
            near = [find_extremes(matrix, budget, batch_size=4, seed=seed, tolerance=2 / args.n).found_both
                    for seed in range(args.bandit_seeds)]
            r0 = results[0]
            bandit_table.add_row(
                spec, suite, str(matrix.size), f"{len(hits)}/{len(results)}", f"{sum(near)}/{len(near)}",
                str(int(np.median(hits))) if hits else "-", str(r0.calls),
                f"[{pct(np.mean([r.interval[0] for r in results]))}, {pct(np.mean([r.interval[1] for r in results]))}]",
                f"[{pct(min(r0.true_accuracy))}, {pct(max(r0.true_accuracy))}]",
            )
        model.close()
        console.print(f"[dim]{spec}: {time.perf_counter() - start:.0f} s[/dim]")
    console.print(spread_table)
    console.print(bandit_table)


if __name__ == "__main__":
    main()
