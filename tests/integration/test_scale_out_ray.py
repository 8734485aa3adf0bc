"""Issue 19 on a real local Ray cluster (a head and a worker node, separate processes, stopped
by PID): a SmolLM2 run sharded over 2 actors equals the single-process run; a worker SIGKILLed
mid-run is recovered with identical results; a 3-worker run whose driver is killed resumes
from the cache with 1 worker. Every sharded run is checked with `verify_runs`.

SmolLM2 runs through llama.cpp in process on each actor, one thread each (llama.cpp's
spinning threads crawl on a shared, loaded machine), on a small quiz: llama.cpp scores each
sequence alone, so its answers do not depend on how requests were batched or sharded and the
runs are bit-identical (hf's padded batches move log-likelihoods by ~1e-6 with the batch's
make-up: see `verify_runs(rtol=...)`). The fault tests wrap the model in `assay.testing.throttle`
(0.5 s of sleep per batch: the answers are still the model's own) so the kill lands mid-run.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

# Ray 2.60 reads its auth mode when it is imported: the test cluster's token must be in this
# process's environment first (drivers, including the killed-run script, read it there).
CLIENT_ENV = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": os.environ.get("RAY_AUTH_TOKEN") or secrets.token_hex(32)}
os.environ.update(CLIENT_ENV)

pytest.importorskip("ray", reason="the ray extra is installed by `make setup`")
pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `make setup`")

import assay  # noqa: E402
from assay.testing.throttle import throttled  # noqa: E402
from tests.support.killed_runs import ROOT, cached_rows  # noqa: E402
from tests.support.ray_cluster import RayCluster  # noqa: E402

pytestmark = pytest.mark.slow

from tests.support.ray_run import LIMIT, SETTINGS, SPEC, write_quiz  # noqa: E402


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[RayCluster]:
    with RayCluster(client_env=CLIENT_ENV) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def quiz(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return [str(write_quiz(tmp_path_factory.mktemp("quiz")))]


@pytest.fixture(scope="module")
def single_by_spec(quiz: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The single-process run the sharded one must equal (the model named by its spec)."""
    out = tmp_path_factory.mktemp("single") / "run"
    assay.evaluate(SPEC, quiz, limit=LIMIT, cache=None, out=out, model_args=SETTINGS)
    return out


def _assert_identical(a: Path, b: Path) -> None:
    check = assay.verify_runs(a, b)
    assert check.samples_compared == LIMIT
    assert check.identical, check.differences[:10]


def test_sharded_over_two_actors_equals_the_single_process_run(ray_cluster, quiz, single_by_spec, tmp_path):
    run = assay.evaluate(SPEC, quiz, limit=LIMIT, cache=tmp_path / "cache.sqlite", out=tmp_path / "ray", chunk_size=4,
                         model_args=SETTINGS, executor=assay.RayExecutor(address=ray_cluster.address, workers=2))
    sharded = run.manifest["executor"]
    assert sharded["workers"] == 2 and sharded["deaths"] == [] and sharded["retried_units"] == 0
    assert all(n > 0 for n in sharded["units"].values()), sharded  # both shards answered
    assert run.manifest["requests"]["computed"] > 0
    _assert_identical(single_by_spec, tmp_path / "ray")


def test_a_worker_that_cannot_load_the_model_is_refused_before_the_run(ray_cluster, quiz, tmp_path):
    with pytest.raises(assay.ConfigError, match="cannot load the model"):
        assay.evaluate("gguf:/nonexistent/model.gguf", quiz, cache=tmp_path / "cache.sqlite", out=tmp_path / "run",
                       executor=assay.RayExecutor(address=ray_cluster.address, workers=1))
    assert not (tmp_path / "cache.sqlite").exists() and not (tmp_path / "run").exists()


def test_a_worker_killed_mid_run_is_retried_on_another(ray_cluster, quiz, single_by_spec, tmp_path):
    pids: list[int] = []
    killed: list[int] = []

    def on_message(message: str) -> None:
        found = re.search(r"workers ready .*\(pids ([\d, ]+)\)", message)
        if found:
            pids.extend(int(p) for p in found.group(1).split(","))

    def kill_one() -> None:
        deadline = time.monotonic() + 120
        while not pids and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # a few batches answered, the rest queued or in flight
        os.kill(pids[0], signal.SIGKILL)
        killed.append(pids[0])

    killer = threading.Thread(target=kill_one, daemon=True)
    killer.start()
    run = assay.evaluate(throttled(SPEC, 0.5, **SETTINGS), quiz, limit=LIMIT, cache=tmp_path / "cache.sqlite", out=tmp_path / "ray",
                         chunk_size=2, on_message=on_message,
                         executor=assay.RayExecutor(address=ray_cluster.address, workers=2))
    killer.join(timeout=5)
    sharded = run.manifest["executor"]
    assert killed and [d["pid"] for d in sharded["deaths"]] == killed, sharded
    assert sharded["retried_units"] >= 1 and sharded["alive"] == 1
    assert run.n_failed == 0
    _assert_identical(single_by_spec, tmp_path / "ray")


def test_a_killed_three_worker_run_resumes_with_one_worker(ray_cluster, quiz, single_by_spec, tmp_path):
    cache, out = tmp_path / "cache.sqlite", tmp_path / "first"
    driver = subprocess.Popen([sys.executable, "-m", "tests.support.ray_run", ray_cluster.address, "3", str(cache),
                               str(out), quiz[0]], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 150
    while cached_rows(cache) < 4 and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert driver.poll() is None, f"the run ended before it could be killed: {driver.stderr.read()[-2000:]}"
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait(timeout=10)
    driver.stderr.close()
    partial = cached_rows(cache)
    assert partial >= 4 and not (out / "results.json").exists()

    run = assay.evaluate(throttled(SPEC, 0.0, **SETTINGS), quiz, limit=LIMIT, cache=cache, out=tmp_path / "resumed",
                         executor=assay.RayExecutor(address=ray_cluster.address, workers=1))
    assert run.manifest["executor"]["workers"] == 1
    assert run.manifest["requests"]["cache_hits"] >= partial  # none of the killed run's answers is asked again
    _assert_identical(single_by_spec, tmp_path / "resumed")


def test_one_rate_limit_is_shared_by_every_worker(ray_cluster):
    """The endpoint pool's provider-wide limit under Ray: one limiter actor, two workers' worth
    of callers on the cluster, 20 starts at 10/s take about 1.9 s, not half of it."""
    import ray

    from assay.engine.executors.ray_limiter import RateLimiterActor, RemoteRateLimiter

    ray.init(address=ray_cluster.address, log_to_driver=False, logging_level="ERROR")
    try:
        limiter = ray.remote(RateLimiterActor).options(num_cpus=0).remote(10.0)

        @ray.remote(num_cpus=0)
        def caller(actor, n: int) -> float:
            import asyncio
            import time

            async def starts() -> None:
                shared = RemoteRateLimiter(actor)
                for _ in range(n):
                    await shared.wait()

            began = time.time()
            asyncio.run(starts())
            return time.time()

        began = time.time()
        ends = ray.get([caller.remote(limiter, 10), caller.remote(limiter, 10)], timeout=120)
        assert max(ends) - began >= 1.8  # one limiter of 10/s for both; two own limiters would take ~0.9 s
    finally:
        ray.shutdown()
