"""Runs through the fault-injection proxy against the real llama.cpp servers.

A run through 500s, 429s with Retry-After, dropped connections, stalls past the client
timeout and malformed JSON must finish with every sample answered, identical to the
fault-free run, with each injected fault counted as a retry in the manifest. A request
that fails past its retry budget is reported per sample and retried by a rerun.

The evaluation runs use generation suites on SmolLM2 (streamed answers, fast); the
log-likelihood path goes through the proxy on Gemma, whose echo log-probs are aligned
but cost about half a second per prompt token, so it uses three short requests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from assay.core.requests import Loglikelihood
from assay.engine.cache import ResponseCache
from assay.core.run import Run
from assay.engine.run import RunOptions, evaluate
from assay.testing.faultproxy import FaultProxy, FaultRates
from assay.models import ModelOptions, load_model
from assay.tasks.resolve import resolve_tasks
from tests.support.aio import run as run_async

pytestmark = pytest.mark.slow

RATES = FaultRates(error_500=0.1, rate_limit_429=0.1, retry_after_s=0.1, drop=0.08, stall=0.05, stall_s=10.0,
                   malformed=0.08, seed=7)


def _run(url: str, cache: Path, **extra: str) -> Run:
    # 10 retries: with 41% of requests faulted, a request fails for good with p = 0.41^11 ≈ 6e-5.
    options = {"concurrency": "2", "backoff_s": "0.05", "timeout_s": "8", "max_retries": "10",
               "body.repeat_penalty": "1.0", **extra}
    model = load_model(f"openai:smollm2@{url}", ModelOptions(extra=options))
    try:
        tasks = resolve_tasks(["arith-gen:n=8", "word-gen:n=4"])
        return evaluate(model, tasks, ResponseCache(cache), RunOptions(show_progress=False), console=Console(quiet=True))
    finally:
        model.close()


def _answers(run: Run) -> list[tuple]:  # type: ignore[type-arg]
    return [(r.task, r.sample_id, json.dumps(r.response, sort_keys=True), json.dumps(r.scores, sort_keys=True), r.error)
            for r in run.samples]


def _injected(proxy: FaultProxy) -> dict[str, int]:
    return {k: v for k, v in proxy.counts.items() if k not in ("requests", "forwarded")}


def test_faulty_run_equals_fault_free_run_and_counts_its_retries(llama_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clean = _run(llama_server.base_url, tmp_path / "clean.sqlite")
    with FaultProxy(llama_server.root, RATES) as proxy:
        faulty = _run(proxy.url + "/v1", tmp_path / "faulty.sqlite")
        injected = _injected(proxy)
    assert sum(injected.values()) >= 3, injected  # the seeded case does inject faults
    assert all(r.error is None for r in faulty.samples), [r.error for r in faulty.samples if r.error]
    assert _answers(faulty) == _answers(clean)
    transport = faulty.manifest["transport"]
    assert transport["failed"] == 0
    by_reason = transport["retries_by_reason"]
    # Every injected fault cost exactly one retry. A stall shows as a timeout; on a loaded
    # machine a genuine request may time out too (8 s), so timeouts are at least the stalls.
    assert by_reason.get("timeout", 0) >= injected["stall"], (transport, injected)
    assert transport["retries"] - by_reason.get("timeout", 0) == sum(injected.values()) - injected["stall"], \
        (transport, injected)
    assert by_reason.get("http_500", 0) == injected["error_500"]
    assert by_reason.get("rate_limited", 0) == injected["rate_limit_429"]
    assert by_reason.get("connection", 0) == injected["drop"]
    assert by_reason.get("malformed", 0) == injected["malformed"]


def test_a_request_failing_past_its_budget_is_reported_per_sample_and_retried_by_a_rerun(llama_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cache = tmp_path / "shared.sqlite"
    with FaultProxy(llama_server.root, FaultRates(error_500=1.0)) as proxy:
        broken = _run(proxy.url + "/v1", cache, max_retries="2")
    records = broken.samples
    assert len(records) == 12  # nothing dropped
    assert all(r.error and "HTTP 500" in r.error and "gave up after 3 attempts" in r.error for r in records)
    assert broken.manifest["transport"]["failed"] == 12
    for task in broken.tasks.values():  # failed samples are counted as failed, never scored as wrong
        assert all(m.n_failed == task.n and m.n == 0 for m in task.metrics.values())
    rerun = _run(llama_server.base_url, cache)  # same cache: failures were not cached
    assert all(r.error is None for r in rerun.samples)
    counts = rerun.manifest["requests"]
    assert counts["cache_hits"] == 0 and counts["computed"] == counts["unique_requests"]


def test_echo_loglikelihood_through_faults_equals_direct(gemma_server) -> None:  # type: ignore[no-untyped-def]
    requests = [Loglikelihood("2 + 3 =", " 5"), Loglikelihood("2 + 3 =", " 6"), Loglikelihood("Cats say", " meow")]
    direct = load_model(f"openai:gemma@{gemma_server.base_url}")
    try:
        expected = run_async(direct.loglikelihood(requests))
    finally:
        direct.close()
    rates = FaultRates(error_500=0.2, rate_limit_429=0.15, retry_after_s=0.05, drop=0.15, malformed=0.15, seed=3)
    with FaultProxy(gemma_server.root, rates) as proxy:
        model = load_model(f"openai:gemma@{proxy.url}/v1", ModelOptions(extra={"backoff_s": "0.05", "concurrency": "1", "max_retries": "12"}))
        try:
            got = run_async(model.loglikelihood(requests))
            stats = model.transport_stats()
        finally:
            model.close()
        injected = _injected(proxy)
    assert [(r.logprob, r.is_greedy, r.n_tokens, r.error) for r in got] == [
        (r.logprob, r.is_greedy, r.n_tokens, r.error) for r in expected]
    assert sum(injected.values()) >= 1 and stats["retries"] == sum(injected.values()) and stats["failed"] == 0
