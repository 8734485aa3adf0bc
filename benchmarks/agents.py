"""Agents on the built-in environments with the bundled models, in-process and behind a real
llama.cpp server: success with its interval, pass^k, failures by party, tokens, wall time;
then a prisoner's-dilemma tournament between the bundled models and scripted strategies.

    .venv/bin/python benchmarks/agents.py --n 3 --trials 2
    .venv/bin/python benchmarks/agents.py --envs tools,chat --models smollm2 --no-server --no-tournament

Small seeded subsets (n episodes x trials) so it finishes on 2 shared cores; the load
average is printed with every timing, since the machine is shared. Answers are cached in
$ASSAY_HOME/bench-agents.sqlite (`--cache`), so a rerun (or a run stopped and started again)
only pays for what it has not asked yet. `--no-inprocess` / `--no-server` split the two
backends into two processes that can run side by side.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assay.agents.metrics import summarize_episodes  # noqa: E402
from assay.agents.tasks import make_env_task  # noqa: E402
from assay.engine.cache import ResponseCache  # noqa: E402
from assay.engine.run import RunOptions, evaluate  # noqa: E402
from assay.models import ModelOptions, load_model  # noqa: E402
from assay.models.registry import resolve_spec  # noqa: E402
from assay.paths import assay_home  # noqa: E402

ENV_OPTIONS = {
    "tools": {"max_turns": 4}, "chat": {}, "memory": {"facts": 2, "max_turns": 12}, "rag": {"retrieval": "bm25"},
    "rag-closed": {"retrieval": "none"}, "prisoners-dilemma": {"rounds": 3}, "public-goods": {"rounds": 3},
    "cost-sharing": {"rounds": 3}, "bargaining": {"rounds": 4}, "swarm": {"rounds": 4, "max_turns": 4},
    "bfcl": {"category": "simple_python", "max_turns": 3},
    "bfcl-multi-turn": {"category": "base", "max_turns": 8, "trials": 1},
    "textarena": {"max_turns": 9}, "frozenlake": {"game": "FrozenLake-v0", "max_turns": 10},
    "sokoban": {"game": "Sokoban-v0", "max_turns": 10}, "mtbench": {},
}
ENV_NAME = {"rag-closed": "rag", "frozenlake": "textarena-solo", "sokoban": "textarena-solo"}
HEADLINE = {"prisoners-dilemma": "cooperation", "public-goods": "cooperation", "cost-sharing": "cooperation",
            "bargaining": "deal", "rag": "retrieval_recall", "tools": "honest", "bfcl": "ast_valid",
            "bfcl-multi-turn": "turns_passed", "textarena-solo": "invalid_moves", "textarena": "draw",
            "memory": "acc_updated", "swarm": "at_goal", "mtbench": "score"}
console = Console(width=160)


def _fmt(x: float) -> str:
    return "-" if x != x else f"{x:.2f}"


def run_env(model, spec: str, env: str, n: int, trials: int, cache: ResponseCache, judge=None) -> list[str]:
    opts = dict(ENV_OPTIONS.get(env, {}))
    name = ENV_NAME.get(env, env)
    trials = min(trials, int(opts.pop("trials", trials)))
    opts.update(n=n, trials=trials, temperature=0.7 if trials > 1 else 0.0, reply_tokens=48)
    task = make_env_task(name, opts, models={"judge": judge()} if name == "mtbench" and judge else None)
    start, load0 = time.perf_counter(), os.getloadavg()[0]
    try:
        run = evaluate(model, [task], cache, RunOptions(show_progress=False))
    except Exception as exc:  # noqa: BLE001 — one broken row is reported, the others still run
        return [spec, env, f"error: {type(exc).__name__}: {exc}"[:120], "", "", "", "", "", ""]
    wall = time.perf_counter() - start
    summary = summarize_episodes(run.samples)[task.name]
    m = run.tasks[task.name].metrics
    success = m["success"]
    headline = HEADLINE.get(name)
    extra = f"{headline} {_fmt(m[headline].value)}" if headline and headline in m else ""
    passk = " ".join(f"^{k}={_fmt(v[0])}" for k, v in summary.pass_k.items())
    return [spec, env, f"{_fmt(success.value)} [{_fmt(success.ci_low)}, {_fmt(success.ci_high)}]",
            _fmt(m["progress"].value), passk or "-", extra,
            " ".join(f"{k[0]}{v}" for k, v in summary.parties.items()), _fmt(summary.tokens_mean),
            f"{wall:.0f}s (load {load0:.1f})"]


def tournament(models: dict, n: int, cache: ResponseCache) -> Table:
    table = Table(title="prisoner's dilemma tournament (3 rounds; seat 0 = row player)")
    for col in ("player", "opponent", "cooperation (both)", "row payoff share", "efficiency", "gini"):
        table.add_column(col)
    names = list(models)
    for row in names:
        opponents = ["tit-for-tat", "always-defect", "random"] + [o for o in names if o != row]
        for opp in opponents:
            seat = "rival" if opp in models else opp
            task = make_env_task("prisoners-dilemma", {"n": n, "rounds": 3, "reply_tokens": 16,
                                                       "players": f"agent+{seat}"},
                                 models={"rival": models[opp]} if opp in models else None)
            run = evaluate(models[row], [task], cache, RunOptions(show_progress=False))
            m = run.tasks[task.name].metrics
            cells = [row, opp, _fmt(m["cooperation"].value), _fmt(m["payoff"].value), _fmt(m["efficiency"].value),
                     _fmt(m["gini"].value)]
            table.add_row(*cells)
            console.print("PD " + " | ".join(cells), highlight=False)
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="smollm2,qwen2.5-coder-0.5b")
    parser.add_argument("--envs", default=",".join(ENV_OPTIONS))
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--trials", type=int, default=2)
    parser.add_argument("--no-server", action="store_true")
    parser.add_argument("--no-inprocess", action="store_true")
    parser.add_argument("--n-ctx", default="8192", help="context window (BFCL multi-turn prompts hold ~5k tokens of tools)")
    parser.add_argument("--cache", default=None, help="answer cache (default: $ASSAY_HOME/bench-agents.sqlite)")
    parser.add_argument("--threads", default="1", help="llama.cpp threads in-process (1: its spinning thread barrier "
                                                       "collapses on a machine shared by other jobs)")
    parser.add_argument("--server-envs", default=None, help="environments behind the server (default: --envs)")
    parser.add_argument("--tournament-models", default=None, help="models in the tournament (default: --models)")
    parser.add_argument("--no-tournament", action="store_true")
    parser.add_argument("--judge", default="qwen2.5-coder-0.5b", help="judge of mtbench (in-process, --threads)")
    args = parser.parse_args()
    cache = ResponseCache(Path(args.cache) if args.cache else assay_home() / "bench-agents.sqlite")
    table = Table(title=f"agents: {args.n} episodes x {args.trials} trials per environment (load {os.getloadavg()})")
    for col in ("model", "env", "success [95% CI]", "progress", "pass^k", "env measure", "failures a/e/b",
                "tokens/ep", "wall"):
        table.add_column(col)
    loaded = {}
    judges: dict = {}

    def judge():  # loaded on the first mtbench row, once
        if "judge" not in judges:
            judges["judge"] = load_model(f"llamacpp:{args.judge}",
                                         ModelOptions(extra={"n_threads": args.threads, "n_ctx": args.n_ctx}))
        return judges["judge"]
    for alias in args.models.split(","):
        extra = {"n_threads": args.threads, "n_ctx": args.n_ctx}
        if not args.no_inprocess:
            loaded[alias] = model = load_model(f"llamacpp:{alias}", ModelOptions(extra=extra))
            for env in filter(None, args.envs.split(",")):
                row = run_env(model, f"llamacpp:{alias}", env, args.n, args.trials, cache, judge)
                table.add_row(*row)
                console.print(" | ".join(row), highlight=False)  # as it comes: a long run can be stopped
        if not args.no_server:
            from tests.support.llama_server import LlamaServer

            gguf = Path(resolve_spec(alias).partition(":")[2])
            with LlamaServer(gguf, n_ctx=int(args.n_ctx)) as server:
                # pinned to the GGUF, not the server's random port, so a rerun reuses the cached answers
                api = load_model(f"openai:{alias}@{server.base_url}", ModelOptions(extra={
                    "body.repeat_penalty": "1.0", "identity": f"llama-cpp-python server, {gguf.name}"}))
                for env in filter(None, (args.server_envs or args.envs).split(",")):
                    row = run_env(api, f"server:{alias}", env, args.n, args.trials, cache, judge)
                    table.add_row(*row)
                    console.print(" | ".join(row), highlight=False)
                api.close()
    console.print(table)
    if not args.no_tournament:
        for alias in (args.tournament_models or "").split(","):
            if alias and alias not in loaded:
                loaded[alias] = load_model(f"llamacpp:{alias}", ModelOptions(extra={"n_threads": args.threads,
                                                                                     "n_ctx": args.n_ctx}))
        console.print(tournament(loaded, args.n, cache))
    for model in [*loaded.values(), *judges.values()]:
        model.close()
    console.print(f"load average at the end: {os.getloadavg()} (figures taken on a shared, loaded machine)")


if __name__ == "__main__":
    main()
