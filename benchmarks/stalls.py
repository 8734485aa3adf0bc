"""Stalled requests against throughput: a stall must hold only its own slot (issue 21).

200 short greedy generations (a raw arithmetic prompt, 4 tokens out) with SmolLM2 from a
real llama.cpp server on 127.0.0.1, through the fault proxy, at concurrency 8: once with no faults, once with 5% of requests stalled for
10 s (the proxy holds the request, then drops the connection; the adapter retries it).
Prints requests/s of both and their ratio. Target: the stalled run keeps >= 80% of the
clean run's requests/s. With a chunk barrier (the engine before v2), every chunk of 64
waited for its slowest stall. Requests are kept short on purpose: the server answers one
request at a time, and when a chunk's own work takes longer than a stall, the barrier hides
it (with 1.8 s requests, a 64-request chunk already takes two minutes).

    .venv/bin/python benchmarks/stalls.py [--n 200] [--rate 0.05] [--stall-s 10] [--max-tokens 4]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assay.core.requests import GenerationParams  # noqa: E402
from assay.core.sample import Sample  # noqa: E402
from assay.core.task import Task, TaskKind  # noqa: E402
from assay.scoring.registry import scorer_from_name  # noqa: E402
from assay.engine.cache import ResponseCache  # noqa: E402
from assay.engine.run import RunOptions, evaluate  # noqa: E402
from assay.models import ModelOptions, load_model  # noqa: E402
from assay.models.registry import resolve_spec  # noqa: E402
from tests.support.llama_server import LlamaServer  # noqa: E402

try:
    from assay.testing.faultproxy import FaultProxy, FaultRates  # noqa: E402
except ImportError:  # the layout before issue 21, for the "before" figure
    from assay.faultproxy import FaultProxy, FaultRates  # type: ignore[no-redef]  # noqa: E402


def one_run(url: str, n: int, max_tokens: int, concurrency: int) -> tuple[int, int, float]:
    """(samples, failed samples, seconds) for n generations through `url`."""
    model = load_model(f"openai:smollm2@{url}", ModelOptions(extra={
        "concurrency": str(concurrency), "timeout_s": "60", "backoff_s": "0.05", "body.repeat_penalty": "1.0",
        "stream": "false"}))
    samples = [Sample(id=f"a{i}", input=f"{i % 97} + {(7 * i) % 89} =", target=str(i % 97 + (7 * i) % 89))
               for i in range(n)]
    task = Task(name="short-sums", version="1", kind=TaskKind.GENERATE, load=lambda: samples,
                scorers=(scorer_from_name("number"),), chat=False,
                generation=GenerationParams(max_tokens=max_tokens, stop=("\n",)))
    began = time.perf_counter()
    try:
        run = evaluate(model, [task], ResponseCache(None), RunOptions(show_progress=False), console=Console(quiet=True))
    finally:
        model.close()
    seconds = time.perf_counter() - began
    records = getattr(run, "samples", None) or run.results.records
    return len(records), sum(1 for r in records if r.error), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--rate", type=float, default=0.05, help="share of requests stalled")
    parser.add_argument("--stall-s", type=float, default=10.0)
    parser.add_argument("--max-tokens", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    gguf = Path(resolve_spec("smollm2").partition(":")[2])
    with LlamaServer(gguf, n_ctx=1024) as server:
        rows = []
        for label, rates in (("clean", FaultRates(seed=7)),
                             ("stalled", FaultRates(stall=args.rate, stall_s=args.stall_s, seed=7))):
            with FaultProxy(server.root, rates) as proxy:
                samples, failed, seconds = one_run(f"{proxy.url}/v1", args.n, args.max_tokens,
                                                   args.concurrency)
                counts = proxy.counts
            rows.append((label, samples, failed, seconds, samples / seconds, counts.get("stall", "?")))
    print(f"{args.n} generations, max_tokens {args.max_tokens}, concurrency {args.concurrency}, "
          f"{args.rate:.0%} stalled for {args.stall_s:g} s")
    print(f"{'run':<8} {'samples':>7} {'failed':>6} {'stalls':>6} {'seconds':>8} {'req/s':>7}")
    for label, samples, failed, seconds, rate, stalls in rows:
        print(f"{label:<8} {samples:>7} {failed:>6} {stalls!s:>6} {seconds:>8.1f} {rate:>7.2f}")
    print(f"stalled / clean requests/s: {rows[1][4] / rows[0][4]:.0%} (target >= 80%)")


if __name__ == "__main__":
    main()
