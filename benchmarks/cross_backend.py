"""Cross-backend agreement: the same GGUF through `hf` (transformers, de-quantized fp32),
`llamacpp` (in-process) and `openai` (a real llama.cpp server on 127.0.0.1).

For each model and built-in multiple-choice suite, every option's log-likelihood from each
backend; printed per pair: mean and max absolute difference (nats per option), the share of
items whose argmax (the predicted option) agrees, and each backend's accuracy.

The `openai` leg uses the server's echo log-probs, which llama-cpp-python computes by sorting
the vocabulary in Python for every prompt token (about 0.1 s per token for SmolLM2, 0.5 s
for Gemma), so it runs on its own `--api-n` items. For SmolLM2 it is refused by design: that
server's echo log-probs are shifted (see `assay/models/openai/echo_logprobs.py`).

    .venv/bin/python benchmarks/cross_backend.py                               # both models, arith-mc + logic-mc
    .venv/bin/python benchmarks/cross_backend.py --models gemma3-270m --n 100 --api-n 8
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assay.core.requests import Loglikelihood  # noqa: E402
from assay.engine.prompts import plan_task  # noqa: E402
from assay.errors import ModelError  # noqa: E402
from assay.models import ModelOptions, is_async_model, load_model  # noqa: E402
from assay.models.registry import resolve_spec  # noqa: E402
from assay.tasks.resolve import resolve_tasks  # noqa: E402
from tests.support.llama_server import LlamaServer  # noqa: E402

console = Console()


def items(suite: str, n: int) -> list[tuple[list[Loglikelihood], int]]:
    """(the option requests, the right option's index) for the first n items."""
    task = resolve_tasks([f"{suite}:n={n}"])[0]
    planned = plan_task(task, list(task.load()), seed=0)
    out = []
    for p in planned:
        reqs = [r for r in p.requests if isinstance(r, Loglikelihood)]
        out.append((reqs, int(p.sample.target)))
    return out


def scores(model: object, data: list[tuple[list[Loglikelihood], int]]) -> tuple[np.ndarray, float]:
    began = time.perf_counter()
    flat = [r for reqs, _ in data for r in reqs]
    results = model.loglikelihood(flat)  # type: ignore[attr-defined]
    if is_async_model(model):  # the openai adapter's methods are coroutines
        results = asyncio.run(results)
    elapsed = time.perf_counter() - began
    values = np.array([r.logprob if r.error is None else math.nan for r in results])
    return values, elapsed


def compare(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray, data: list, table: Table, suite: str) -> None:  # type: ignore[type-arg]
    diffs = np.abs(a - b)
    agree = total = right_a = right_b = 0
    at = 0
    for reqs, target in data:
        k = len(reqs)
        sa, sb = a[at: at + k], b[at: at + k]
        at += k
        if np.isnan(sa).any() or np.isnan(sb).any():
            continue
        total += 1
        agree += int(np.argmax(sa) == np.argmax(sb))
        right_a += int(np.argmax(sa) == target)
        right_b += int(np.argmax(sb) == target)
    table.add_row(suite, f"{name_a} vs {name_b}", str(total), f"{np.nanmean(diffs):.3f}", f"{np.nanmax(diffs):.3f}",
                  f"{100 * agree / max(total, 1):.1f}%", f"{100 * right_a / max(total, 1):.1f} / {100 * right_b / max(total, 1):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["smollm2", "gemma3-270m"])
    parser.add_argument("--suites", nargs="+", default=["arith-mc", "logic-mc"])
    parser.add_argument("--n", type=int, default=200, help="items per suite for hf vs llamacpp")
    parser.add_argument("--api-n", type=int, default=6, help="items per suite through the server (slow echo path)")
    args = parser.parse_args()

    table = Table(title="cross-backend agreement (log-likelihood per option, nats; argmax per item)")
    for col in ("suite", "pair", "items", "mean |diff|", "max |diff|", "argmax agree", "acc a / b"):
        table.add_column(col)
    for alias in args.models:
        gguf = Path(resolve_spec(alias).partition(":")[2])
        hf = load_model(alias)
        cpp = load_model(f"llamacpp:{alias}")
        server = LlamaServer(gguf).start()
        api = load_model(f"openai:{alias}@{server.base_url}", ModelOptions(extra={"concurrency": "1"}))
        try:
            for suite in args.suites:
                data = items(suite, args.n)
                s_hf, t_hf = scores(hf, data)
                s_cpp, t_cpp = scores(cpp, data)
                console.print(f"{alias} {suite}: hf {t_hf:.1f} s, llamacpp {t_cpp:.1f} s for {len(s_hf)} options")
                compare("hf", s_hf, "llamacpp", s_cpp, data, table, f"{alias} {suite}")
                if args.api_n <= 0:
                    continue
                small = data[: args.api_n]
                k = sum(len(r) for r, _ in small)
                try:
                    s_api, t_api = scores(api, small)
                except ModelError as exc:
                    table.add_row(f"{alias} {suite}", "openai", "-", "-", "-", "refused", str(exc)[:60] + "…")
                    continue
                console.print(f"{alias} {suite}: openai {t_api:.1f} s for {k} options")
                compare("openai", s_api, "llamacpp", s_cpp[:k], small, table, f"{alias} {suite}")
                compare("openai", s_api, "hf", s_hf[:k], small, table, f"{alias} {suite}")
        finally:
            api.close()
            server.stop()
            cpp.close()
            hf.close()
    console.print(table)


if __name__ == "__main__":
    main()
