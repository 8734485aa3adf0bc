"""The endpoint pool's parts that need no server (issue 19): endpoint lists and their errors,
balancing by weight, the shared rate limiter. Failover and health checks run against two real
llama.cpp servers in tests/integration/test_endpoint_pool.py."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from assay.errors import ConfigError, ModelError
from assay.models import load_model
from assay.models.openai.pool import Endpoint, EndpointPool, RateLimiter, load_pool_file, pool_spec_from


def test_a_comma_list_and_a_yaml_file_name_the_same_pool(tmp_path: Path):
    listed = pool_spec_from("http://a:1/v1/,http://b:2/v1")
    assert [e.url for e in listed.endpoints] == ["http://a:1/v1", "http://b:2/v1"]
    assert pool_spec_from("http://a:1/v1") is None  # one URL: the plain adapter
    path = tmp_path / "endpoints.yaml"
    path.write_text("endpoints:\n  - url: http://a:1/v1\n    concurrency: 8\n    weight: 3\n  - url: http://b:2/v1\n"
                    "rate_limit_rps: 20\n")
    spec = load_pool_file(path)
    assert [(e.url, e.concurrency, e.weight) for e in spec.endpoints] == [("http://a:1/v1", 8, 3.0), ("http://b:2/v1", None, 1.0)]
    assert spec.rate_limit_rps == 20


@pytest.mark.parametrize("text, line, field, message", [
    ("endpoints:\n  - url: http://a:1/v1\n  - url: htp:/b\n", 3, "endpoints[1].url", "bad endpoint URL"),
    ("endpoints:\n  - url: http://a:1/v1\n    weight: 0\n", 2, "endpoints[0].weight", "greater than 0"),
    ("endpoints:\n  - url: http://a:1/v1\n    concurency: 2\n", 2, "endpoints[0].concurency", "not permitted"),
    ("endpoints: []\n", None, "endpoints", "at least 1"),
])
def test_a_bad_endpoint_list_names_file_line_and_field(tmp_path: Path, text, line, field, message):
    path = tmp_path / "endpoints.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_pool_file(path)
    assert (info.value.file, info.value.line, info.value.field) == (str(path), line, field)


@pytest.mark.parametrize("spec", ["openai:m@http://a:1/v1,", "openai:m@http://a:1/v1,nohost", "openai:m@http://a:x/v1,http://b:1/v1"])
def test_a_bad_url_in_the_spec_is_refused_before_any_request(spec):
    with pytest.raises(ConfigError):
        load_model(spec)


def test_no_reachable_endpoint_is_an_error_at_load():
    began = time.monotonic()
    with pytest.raises(ModelError, match="no endpoint of the pool answers"):
        load_model("openai:m@http://127.0.0.1:9/v1,http://127.0.0.1:7/v1")
    assert time.monotonic() - began < 10


def test_balancing_follows_in_flight_per_weight():
    pool = EndpointPool.__new__(EndpointPool)
    pool.endpoints = [Endpoint("a", weight=1, concurrency=4, healthy=True), Endpoint("b", weight=3, concurrency=4, healthy=True)]
    picks = []
    for _ in range(8):
        chosen = pool._choose(set())
        chosen.in_flight += 1
        picks.append(chosen.url)
    assert picks.count("b") == 6 and picks.count("a") == 2  # 3:1, as the weights say
    pool.endpoints[1].healthy = False
    assert pool._choose(set()).url == "a" and pool._choose({"a"}) is None


def test_one_rate_limit_across_callers():
    limiter = RateLimiter(rps=50)

    async def burst() -> float:
        began = time.monotonic()
        await asyncio.gather(*(limiter.wait() for _ in range(26)))
        return time.monotonic() - began

    assert 0.45 <= asyncio.run(burst()) < 2.0  # 26 starts at 50/s: the last one 0.5 s after the first


def test_a_shared_limiter_replaces_the_pools_own():
    from assay.core.requests import Generate
    from assay.core.responses import Completion

    class Server:
        async def generate(self, requests):
            return [Completion(texts=("ok",)) for _ in requests]

    class Counting:
        waits = 0

        async def wait(self) -> None:
            Counting.waits += 1

    pool = EndpointPool.__new__(EndpointPool)
    pool.endpoints = [Endpoint("a", weight=1, concurrency=2, healthy=True, model=Server())]
    pool._limiter = RateLimiter(rps=1.0)
    pool.failovers = 0
    pool.share_rate_limit(Counting())
    answers = asyncio.run(pool.generate([Generate(prompt=f"p{i}") for i in range(5)]))
    assert [a.texts for a in answers] == [("ok",)] * 5 and Counting.waits == 5  # at 1/s its own would take 4 s
