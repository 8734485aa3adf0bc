"""FaultProxy against a tiny real HTTP server on 127.0.0.1: passthrough, each fault, seeding."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.support.aio import run as run_async

from assay.testing.faultproxy import FaultProxy, FaultRates

ROOT = Path(__file__).resolve().parents[3]
SSE_EVENTS = [{"id": i, "text": f"tok{i}"} for i in range(3)]


class _Upstream(BaseHTTPRequestHandler):
    """OpenAI-ish endpoints: JSON echo, a model list, SSE streams (one gated by the test)."""

    protocol_version = "HTTP/1.1"
    server: _UpstreamServer

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _json(self, payload: object, status: int = 200) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _sse(self, gate: threading.Event | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")  # the body ends when the connection does
        self.end_headers()
        for i, event in enumerate(SSE_EVENTS):
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
            if i == 0 and gate is not None:
                gate.wait(timeout=10)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True

    def do_GET(self) -> None:
        if self.path == "/v1/models":
            self._json({"object": "list", "data": [{"id": "tiny", "object": "model"}]})
        else:
            self._json({"error": "not found"}, status=404)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        payload = json.loads(body)
        if self.path == "/gated-stream":
            self._sse(gate=self.server.gate)
        elif payload.get("stream") is True:
            self._sse()
        else:
            self._json({"path": self.path, "echo": payload, "auth": self.headers.get("Authorization")})


class _UpstreamServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    gate: threading.Event


@pytest.fixture(scope="module")
def upstream_server() -> Iterator[_UpstreamServer]:
    server = _UpstreamServer(("127.0.0.1", 0), _Upstream)
    server.gate = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def upstream(upstream_server: _UpstreamServer) -> str:
    return f"http://127.0.0.1:{upstream_server.server_address[1]}"


@contextmanager
def _proxied(upstream: str, rates: FaultRates = FaultRates()) -> Iterator[tuple[FaultProxy, httpx.Client]]:
    """A running proxy and an httpx client aimed at it, both closed afterwards."""
    with FaultProxy(upstream, rates) as proxy, httpx.Client(base_url=proxy.url, timeout=5) as client:
        yield proxy, client


def _sse_data(text: str) -> list[str]:
    return [line[len("data: ") :] for line in text.splitlines() if line.startswith("data: ")]


def _outcome(response: httpx.Response) -> str:
    if response.status_code != 200:
        return str(response.status_code)
    try:
        json.loads(response.content)
    except ValueError:
        return "malformed"
    return "ok"


def test_passthrough_is_byte_identical_and_keeps_auth(upstream: str) -> None:
    request = {"prompt": "hello", "max_tokens": 3}
    headers = {"Authorization": "Bearer sk-test"}
    with FaultProxy(upstream) as proxy, httpx.Client(timeout=5) as client:
        direct = client.post(upstream + "/v1/completions?x=1", json=request, headers=headers)
        proxied = client.post(proxy.url + "/v1/completions?x=1", json=request, headers=headers)
        assert proxied.status_code == direct.status_code == 200
        assert proxied.content == direct.content
        assert proxied.headers["content-type"] == "application/json"
        assert proxied.json() == {"path": "/v1/completions?x=1", "echo": request, "auth": "Bearer sk-test"}
        missing = client.get(proxy.url + "/nowhere")
        assert missing.status_code == 404
        assert proxy.counts["forwarded"] == proxy.counts["requests"] == 2


def test_unlisted_paths_are_never_faulted(upstream: str) -> None:
    with _proxied(upstream, FaultRates(error_500=1.0)) as (proxy, client):
        for _ in range(3):
            assert client.get("/v1/models").json()["data"][0]["id"] == "tiny"
        assert client.post("/v1/completions", json={"prompt": "x"}).status_code == 500
        assert proxy.counts == {
            "requests": 4, "forwarded": 3, "error_500": 1,
            "rate_limit_429": 0, "drop": 0, "stall": 0, "malformed": 0,
        }


def test_error_500_keeps_the_connection_usable(upstream: str) -> None:
    with _proxied(upstream, FaultRates(error_500=1.0)) as (proxy, client):
        for _ in range(3):
            response = client.post("/v1/chat/completions", json={"messages": []})
            assert response.status_code == 500
            assert "error" in response.json()
        assert client.get("/v1/models").status_code == 200


def test_rate_limit_429_carries_retry_after(upstream: str) -> None:
    rates = FaultRates(rate_limit_429=1.0, retry_after_s=0.2)
    with _proxied(upstream, rates) as (proxy, client):
        response = client.post("/v1/completions", json={"prompt": "x"})
        assert response.status_code == 429
        assert response.headers["retry-after"] == "0.2"


def test_drop_closes_without_a_response(upstream: str) -> None:
    with _proxied(upstream, FaultRates(drop=1.0)) as (proxy, client):
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/v1/completions", json={"prompt": "x"})
        assert proxy.counts["drop"] == 1


def test_stall_outlasts_the_client_timeout_and_stop_does_not_wait(upstream: str) -> None:
    proxy = FaultProxy(upstream, FaultRates(stall=1.0, stall_s=2.0)).start()
    try:
        with httpx.Client(base_url=proxy.url, timeout=0.3) as client, pytest.raises(httpx.ReadTimeout):
            client.post("/v1/completions", json={"prompt": "x"})
    finally:
        proxy.stop()
    proxy.stop()  # idempotent
    assert proxy.counts["stall"] == 1


def test_malformed_body_is_not_json(upstream: str) -> None:
    with _proxied(upstream, FaultRates(malformed=1.0)) as (proxy, client):
        response = client.post("/v1/completions", json={"prompt": "x"})
        assert response.status_code == 200
        with pytest.raises(ValueError):
            json.loads(response.content)


def test_malformed_stream_has_a_broken_data_line(upstream: str) -> None:
    with _proxied(upstream, FaultRates(malformed=1.0)) as (proxy, client):
        response = client.post("/v1/completions", json={"prompt": "x", "stream": True})
        assert response.headers["content-type"] == "text/event-stream"
        data = [d for d in _sse_data(response.text) if d != "[DONE]"]
        assert data
        with pytest.raises(ValueError):
            json.loads(data[0])


def test_streaming_passthrough_keeps_events_in_order(upstream: str) -> None:
    with FaultProxy(upstream) as proxy, httpx.Client(timeout=5) as client:
        direct = client.post(upstream + "/v1/completions", json={"prompt": "x", "stream": True})
        request = {"prompt": "x", "stream": True}
        with client.stream("POST", proxy.url + "/v1/completions", json=request) as response:
            assert response.headers["content-type"] == "text/event-stream"
            proxied = response.read()
    assert proxied == direct.content
    assert _sse_data(proxied.decode()) == [json.dumps(e) for e in SSE_EVENTS] + ["[DONE]"]


def test_streaming_is_relayed_as_it_arrives(upstream: str, upstream_server: _UpstreamServer) -> None:
    """The upstream holds its second event until the first has reached the client: a proxy
    that buffered whole bodies would stall here until the read timeout."""
    gate = upstream_server.gate
    gate.clear()
    with FaultProxy(upstream) as proxy, httpx.Client(timeout=5) as client:
        with client.stream("POST", proxy.url + "/gated-stream", json={"stream": True}) as response:
            lines = response.iter_lines()
            first = next(line for line in lines if line.startswith("data: "))
            assert json.loads(first[len("data: ") :]) == SSE_EVENTS[0]
            gate.set()
            rest = [line[len("data: ") :] for line in lines if line.startswith("data: ")]
    assert rest == [json.dumps(e) for e in SSE_EVENTS[1:]] + ["[DONE]"]


def _expected_outcomes(rates: FaultRates, n: int) -> list[str]:
    """The documented draw: one `random.Random(seed)` number per request, cumulative ranges."""
    rng = random.Random(rates.seed)
    ranges = [
        (rates.error_500, "500"), (rates.rate_limit_429, "429"), (rates.drop, "drop"),
        (rates.stall, "stall"), (rates.malformed, "malformed"),
    ]
    outcomes = []
    for _ in range(n):
        draw, edge, outcome = rng.random(), 0.0, "ok"
        for rate, name in ranges:
            edge += rate
            if draw < edge:
                outcome = name
                break
        outcomes.append(outcome)
    return outcomes


def _run_sequence(upstream: str, rates: FaultRates, n: int) -> tuple[list[str], dict[str, int]]:
    outcomes = []
    with _proxied(upstream, rates) as (proxy, client):
        for i in range(n):
            try:
                outcomes.append(_outcome(client.post("/v1/completions", json={"prompt": str(i)})))
            except httpx.RemoteProtocolError:
                outcomes.append("drop")
        return outcomes, proxy.counts


def test_same_seed_gives_the_same_fault_sequence(upstream: str) -> None:
    rates = FaultRates(error_500=0.2, rate_limit_429=0.2, drop=0.1, malformed=0.2, seed=7)
    first, counts = _run_sequence(upstream, rates, 30)
    second, _ = _run_sequence(upstream, rates, 30)
    assert first == second == _expected_outcomes(rates, 30)
    assert {"ok", "500", "429", "drop", "malformed"} <= set(first)
    faults = sum(counts[k] for k in ("error_500", "rate_limit_429", "drop", "stall", "malformed"))
    assert counts["requests"] == 30 == counts["forwarded"] + faults
    assert counts["forwarded"] == first.count("ok")


def test_concurrent_requests_all_succeed(upstream: str) -> None:
    async def burst(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            posts = (client.post("/v1/completions", json={"prompt": str(i)}) for i in range(20))
            return await asyncio.gather(*posts)

    with FaultProxy(upstream) as proxy:
        responses = run_async(burst(proxy.url))
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses]
    assert [r.json()["echo"]["prompt"] for r in responses] == [str(i) for i in range(20)]
    assert proxy.counts["forwarded"] == 20


def test_unreachable_upstream_answers_502() -> None:
    with FaultProxy("http://127.0.0.1:9") as proxy, httpx.Client(timeout=5) as client:
        assert client.get(proxy.url + "/v1/models").status_code == 502


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"error_500": 1.5}, "error_500"),
        ({"drop": -0.1}, "drop"),
        ({"malformed": 2.0}, "malformed"),
        ({"stall_s": -1.0}, "stall_s"),
        ({"error_500": 0.6, "stall": 0.6}, "sum"),
    ],
)
def test_fault_rates_are_validated(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        FaultRates(**kwargs)


def test_url_needs_start_and_upstream_needs_a_scheme() -> None:
    with pytest.raises(RuntimeError):
        FaultProxy("http://127.0.0.1:1").url
    with pytest.raises(ValueError, match="upstream"):
        FaultProxy("127.0.0.1:8080")


def test_command_line_prints_url_then_counts(upstream: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "assay.testing.faultproxy", "--upstream", upstream, "--error-500", "1", "--seed", "3"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert httpx.post(url + "/v1/completions", json={"prompt": "x"}, timeout=5).status_code == 500
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["error_500"] == 1
