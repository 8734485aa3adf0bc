"""The `openai:` adapter against a real llama.cpp server on 127.0.0.1: requests/s at
concurrency 1 and 4, and a run through the fault-injection proxy compared with a clean run.

Both legs evaluate built-in generation suites with SmolLM2 (streamed, greedy), each from an
empty cache. The fault leg prints what the proxy injected, what the adapter retried and
failed, and the per-sample diff between the clean and the faulty run (it must be empty).

    .venv/bin/python benchmarks/api_backend.py                  # 40 arith-gen items
    .venv/bin/python benchmarks/api_backend.py --n 100 --rate 0.08
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assay.engine.cache import ResponseCache  # noqa: E402
from assay.core.run import Run  # noqa: E402
from assay.engine.run import RunOptions, evaluate  # noqa: E402
from assay.testing.faultproxy import FaultProxy, FaultRates  # noqa: E402
from assay.models import ModelOptions, load_model  # noqa: E402
from assay.models.registry import resolve_spec  # noqa: E402
from assay.tasks.resolve import resolve_tasks  # noqa: E402
from tests.support.llama_server import LlamaServer  # noqa: E402

console = Console()


def run(url: str, suites: list[str], cache: Path, **extra: str) -> tuple[Run, float]:
    options = {"backoff_s": "0.05", "timeout_s": "30", "body.repeat_penalty": "1.0", **extra}
    model = load_model(f"openai:smollm2@{url}", ModelOptions(extra=options))
    began = time.perf_counter()
    try:
        result = evaluate(model, resolve_tasks(suites), ResponseCache(cache), RunOptions(show_progress=False),
                          console=Console(quiet=True))
    finally:
        model.close()
    return result, time.perf_counter() - began


def answers(result: Run) -> dict[tuple[str, str], str]:
    return {(r.task, r.sample_id): json.dumps([r.response, r.scores, r.error], sort_keys=True)
            for r in result.samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="arith-gen items")
    parser.add_argument("--rate", type=float, default=0.06, help="rate of each fault kind in the fault leg")
    args = parser.parse_args()
    suites = [f"arith-gen:n={args.n}"]
    gguf = Path(resolve_spec("smollm2").partition(":")[2])
    tmp = Path(tempfile.mkdtemp(prefix="assay-api-bench-"))
    with LlamaServer(gguf) as server:
        table = Table(title=f"openai adapter -> llama.cpp server (SmolLM2), {args.n} generations")
        for col in ("concurrency", "requests/s", "wall s", "mean ttft s", "mean tpot ms", "failed"):
            table.add_column(col, justify="right")
        for concurrency in (1, 4):
            result, wall = run(server.base_url, suites, tmp / f"c{concurrency}.sqlite", concurrency=str(concurrency))
            stats = result.manifest["requests"]
            table.add_row(str(concurrency), f"{stats['computed'] / wall:.2f}", f"{wall:.1f}",
                          *_latency(result), str(stats["failed"]))
        console.print(table)

        clean, _ = run(server.base_url, suites, tmp / "clean.sqlite", concurrency="4")
        rates = FaultRates(error_500=args.rate, rate_limit_429=args.rate, retry_after_s=0.2, drop=args.rate,
                           stall=args.rate / 2, stall_s=40.0, malformed=args.rate, seed=11)
        with FaultProxy(server.root, rates) as proxy:
            faulty, wall = run(proxy.url + "/v1", suites, tmp / "faulty.sqlite", concurrency="4", timeout_s="10")
            counts = proxy.counts
        transport = faulty.manifest["transport"]
        a, b = answers(clean), answers(faulty)
        diff = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        faults = {k: v for k, v in counts.items() if k not in ("requests", "forwarded")}
        console.print(f"fault leg ({wall:.1f} s): proxy saw {counts['requests']} requests, injected {sum(faults.values())} "
                      f"faults {faults}")
        console.print(f"adapter: {transport['attempts']} attempts, {transport['retries']} retries "
                      f"{transport['retries_by_reason']}, {transport['failed']} failed")
        console.print(f"samples: {len(b)} answered, {faulty.n_failed} failed; "
                      f"diff against the clean run: {len(diff)} samples {diff[:5]}")


def _latency(result: Run) -> tuple[str, str]:
    """Mean time to first token and per output token, from the run's per-request usage."""
    ttfts, tpots = [], []
    for record in result.samples:
        if record.metadata.get("ttft_s") is not None:
            ttfts.append(record.metadata["ttft_s"])
        if record.metadata.get("tpot_s") is not None:
            tpots.append(record.metadata["tpot_s"])
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
    return f"{mean(ttfts):.3f}", f"{1000 * mean(tpots):.1f}"


if __name__ == "__main__":
    main()
