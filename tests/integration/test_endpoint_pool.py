"""Issue 19, many model servers: two real llama.cpp servers (SmolLM2) behind one
`openai:MODEL@URL1,URL2` pool. Requests are balanced over both; one server is SIGKILLed
mid-run and the run finishes on the other with answers identical to the run before the kill;
the restarted server is put back into rotation by the health checks.

Generation only: llama-cpp-python's server shifts SmolLM2's echo log-probs (the adapter refuses
log-likelihoods from it). One thread per server: llama.cpp's spinning threads crawl on a shared
machine.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `make setup`")

import assay  # noqa: E402
from assay.models import ModelOptions, load_model  # noqa: E402
from tests.support.llama_server import LlamaServer  # noqa: E402

pytestmark = pytest.mark.slow

TASKS, LIMIT = ["arith-gen"], 6


@pytest.fixture(scope="module")
def two_servers(smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LlamaServer]]:
    logs = tmp_path_factory.mktemp("pool")
    servers = [LlamaServer(smollm2_gguf, n_ctx=512, log=logs / f"server{i}.log", extra_args=("--n_threads", "1"))
               for i in range(2)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_one_server_killed_mid_run_and_put_back(two_servers, tmp_path):
    a, b = two_servers
    pool = load_model(f"openai:smollm2@{a.base_url},{b.base_url}",
                      ModelOptions(extra={"body.repeat_penalty": 1.0, "stream": False}))
    try:
        before = assay.evaluate(pool, TASKS, limit=LIMIT, cache=None, out=tmp_path / "before")
        served = {e["url"]: e["answered"] for e in pool.transport_stats()["endpoints"]}
        assert all(n > 0 for n in served.values()), served  # balanced over both servers
        assert before.n_failed == 0

        killed = threading.Event()

        def kill_b() -> None:
            deadline = time.monotonic() + 120
            while pool.endpoints[1].answered <= served[b.base_url] and time.monotonic() < deadline:
                time.sleep(0.02)
            os.kill(b.process.pid, signal.SIGKILL)  # mid-run: b has answered once, the rest are in flight or queued
            killed.set()

        killer = threading.Thread(target=kill_b, daemon=True)
        killer.start()
        after = assay.evaluate(pool, TASKS, limit=LIMIT, cache=None, out=tmp_path / "after")
        killer.join(timeout=10)
        assert killed.is_set()
        stats = after.manifest["transport"]
        endpoint_b = stats["endpoints"][1]
        assert endpoint_b["taken_out"] == 1 and not endpoint_b["healthy"], stats
        assert after.n_failed == 0
        check = assay.verify_runs(tmp_path / "before", tmp_path / "after")
        assert check.samples_compared == LIMIT and check.identical, check.differences[:5]

        b.process.wait(timeout=10)
        b.start()  # the same port: the health checks put it back
        deadline = time.monotonic() + 60
        while not pool.endpoints[1].healthy and time.monotonic() < deadline:
            time.sleep(0.2)
        assert pool.endpoints[1].healthy and pool.transport_stats()["endpoints"][1]["put_back"] == 1
    finally:
        pool.close()
