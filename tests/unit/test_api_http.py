"""The retrying transport: backoff, Retry-After, counters, and RetryingClient end to end
against a scripted HTTP server on 127.0.0.1 (each request takes the next scripted reply)."""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.aio import run as run_async

from assay.models.openai.transport import RequestFailed, RetryingClient, RetryPolicy, TransportCounters, parse_retry_after

FAST = RetryPolicy(max_retries=3, backoff_s=0.01, max_backoff_s=0.05, timeout_s=0.3, connect_timeout_s=1.0)

Reply = Callable[["_Scripted"], None]


# --- scripted replies -------------------------------------------------------------------------

def send(status: int, body: bytes, headers: dict[str, str] | None = None, content_type: str = "application/json") -> Reply:
    def reply(h: _Scripted) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(body)
    return reply


def ok(payload: Any) -> Reply:
    return send(200, json.dumps(payload).encode())


def status(code: int, headers: dict[str, str] | None = None) -> Reply:
    return send(code, json.dumps({"error": f"scripted {code}"}).encode(), headers)


def slow(seconds: float, then: Reply) -> Reply:
    def reply(h: _Scripted) -> None:
        time.sleep(seconds)
        then(h)
    return reply


def hang_up(h: _Scripted) -> None:
    h.close_connection = True  # no response at all


def sse(lines: list[str]) -> Reply:
    def reply(h: _Scripted) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")  # the body ends when the connection does
        h.end_headers()
        for line in lines:
            h.wfile.write(f"{line}\n\n".encode())
            h.wfile.flush()
        h.close_connection = True
    return reply


def chunk(text: str, finish: str | None = None) -> str:
    return "data: " + json.dumps({"choices": [{"index": 0, "text": text, "finish_reason": finish}]})


GOOD_STREAM = [": keep-alive", chunk("Hel"), chunk("lo"), chunk("", "stop"), "data: [DONE]"]


class _Scripted(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _serve(self, body: bytes) -> None:
        self.server.seen.append((self.command, self.path, body, dict(self.headers)))
        with self.server.lock:
            i = self.server.next
            self.server.next += 1
        script = self.server.script
        script[min(i, len(script) - 1)](self)  # the last reply repeats

    def do_GET(self) -> None:
        self._serve(b"")

    def do_POST(self) -> None:
        self._serve(self.rfile.read(int(self.headers.get("Content-Length", "0"))))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    script: list[Reply]
    seen: list[tuple[str, str, bytes, dict[str, str]]]
    next: int
    lock: threading.Lock

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a reply to a client that timed out hits a closed socket: expected here

    def play(self, *replies: Reply) -> None:
        self.script, self.seen, self.next = list(replies), [], 0


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Scripted)
    srv.lock = threading.Lock()
    srv.play(ok({}))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def _url(srv: _Server) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}/v1/"


def call(base_url: str, method: str, *args: Any, policy: RetryPolicy = FAST, headers: dict[str, str] | None = None) -> tuple[Any, TransportCounters]:
    """Run one client call in a fresh event loop; return (result or the exception, counters)."""
    counters = TransportCounters()

    async def go() -> Any:
        client = RetryingClient(base_url, headers or {}, policy, counters, seed=1)
        try:
            return await getattr(client, method)(*args)
        except Exception as exc:  # returned, so the test can look at it and at the counters
            return exc
        finally:
            await client.aclose()

    return run_async(go()), counters


# --- RetryPolicy.wait ---------------------------------------------------------------------------

class _Top(random.Random):
    """An rng that always draws the top of the range, to read the bound."""

    def uniform(self, a: float, b: float) -> float:
        return b


class TestRetryPolicyWait:
    def test_bound_doubles_then_caps(self) -> None:
        policy = RetryPolicy(backoff_s=0.5, max_backoff_s=3.0)
        assert [policy.wait(a, None, _Top()) for a in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]

    def test_full_jitter_stays_within_the_bound(self) -> None:
        policy = RetryPolicy(backoff_s=0.5, max_backoff_s=30.0)
        rng = random.Random(0)
        draws = [policy.wait(2, None, rng) for _ in range(500)]
        assert all(0.0 <= d <= 2.0 for d in draws)
        assert min(draws) < 0.2 and max(draws) > 1.8  # spread over the whole range

    def test_seeded(self) -> None:
        policy = RetryPolicy()
        a = [policy.wait(i, None, random.Random(7)) for i in range(4)]
        b = [policy.wait(i, None, random.Random(7)) for i in range(4)]
        assert a == b

    def test_never_below_retry_after(self) -> None:
        policy = RetryPolicy(backoff_s=0.5, max_backoff_s=1.0)
        rng = random.Random(0)
        assert all(policy.wait(3, 5.0, rng) == 5.0 for _ in range(50))  # above max_backoff too
        assert policy.wait(1, 0.1, _Top()) == 1.0  # a shorter Retry-After does not shorten it


# --- parse_retry_after --------------------------------------------------------------------------

class TestParseRetryAfter:
    @pytest.mark.parametrize(("value", "expected"), [("5", 5.0), ("0", 0.0), ("0.05", 0.05), (" 2 ", 2.0), ("-3", 0.0)])
    def test_seconds(self, value: str, expected: float) -> None:
        assert parse_retry_after(value) == pytest.approx(expected)

    def test_http_date_relative_to_now(self) -> None:
        now = 1_750_000_000.0
        assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30.0)
        assert parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now=now) == 0.0  # in the past

    @pytest.mark.parametrize("value", [None, "", "soon", "Mon, 99 Foo 2024", "5 seconds"])
    def test_absent_or_garbage(self, value: str | None) -> None:
        assert parse_retry_after(value) is None

    @pytest.mark.parametrize("value", ["inf", "Infinity"])
    def test_infinite_is_not_a_wait(self, value: str) -> None:
        result = parse_retry_after(value)
        assert result is None or math.isfinite(result)


# --- TransportCounters --------------------------------------------------------------------------

class TestTransportCounters:
    def test_to_dict(self) -> None:
        c = TransportCounters()
        for what, reason in [("attempt", None), ("attempt", None), ("attempt", None), ("retry", "timeout"),
                             ("retry", "http_503"), ("retry", "timeout"), ("retry", None), ("ok", None),
                             ("failed", "http_400"), ("failed", None), ("unknown", "x")]:
            c.record(what, reason)
        assert c.to_dict() == {
            "attempts": 3, "succeeded": 1,
            "retries": 4, "retries_by_reason": {"http_503": 1, "other": 1, "timeout": 2},
            "failed": 2, "failed_by_reason": {"http_400": 1, "other": 1},
        }
        assert list(c.to_dict()["retries_by_reason"]) == ["http_503", "other", "timeout"]  # sorted

    def test_empty(self) -> None:
        assert TransportCounters().to_dict() == {
            "attempts": 0, "succeeded": 0, "retries": 0, "retries_by_reason": {}, "failed": 0, "failed_by_reason": {},
        }

    def test_thread_safe(self) -> None:
        c = TransportCounters()

        def work() -> None:
            for _ in range(2000):
                c.record("attempt")
                c.record("retry", "timeout")

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        d = c.to_dict()
        assert d["attempts"] == 8000 and d["retries_by_reason"] == {"timeout": 8000}


# --- RetryingClient: JSON -----------------------------------------------------------------------

class TestPostJson:
    def test_ok_sends_body_and_headers(self, server: _Server) -> None:
        server.play(ok({"answer": 42}))
        result, counters = call(_url(server), "post_json", "/completions", {"prompt": "hi"},
                                headers={"Authorization": "Bearer k"})
        assert result == {"answer": 42}
        method, path, body, headers = server.seen[0]
        assert (method, path, json.loads(body)) == ("POST", "/v1/completions", {"prompt": "hi"})
        assert headers["Authorization"] == "Bearer k"
        assert counters.to_dict()["attempts"] == 1 and counters.to_dict()["succeeded"] == 1

    def test_get_json(self, server: _Server) -> None:
        server.play(ok({"data": []}))
        result, _ = call(_url(server), "get_json", "/models")
        assert result == {"data": []}
        assert server.seen[0][:2] == ("GET", "/v1/models")

    def test_503_then_429_with_retry_after_then_ok(self, server: _Server) -> None:
        server.play(status(503), status(429, {"Retry-After": "0.05"}), ok({"id": "x"}))
        began = time.perf_counter()
        result, counters = call(_url(server), "post_json", "/completions", {})
        assert result == {"id": "x"}
        assert time.perf_counter() - began >= 0.05  # Retry-After honoured
        assert counters.to_dict() == {
            "attempts": 3, "succeeded": 1,
            "retries": 2, "retries_by_reason": {"http_503": 1, "rate_limited": 1},
            "failed": 0, "failed_by_reason": {},
        }

    @pytest.mark.parametrize("code", [400, 401, 404, 422])
    def test_client_error_fails_at_once(self, server: _Server, code: int) -> None:
        server.play(status(code), ok({}))
        result, counters = call(_url(server), "post_json", "/completions", {})
        assert isinstance(result, RequestFailed)
        assert result.status == code and result.reason == f"http_{code}"
        assert f"HTTP {code}" in str(result) and f"scripted {code}" in str(result)
        assert len(server.seen) == 1
        d = counters.to_dict()
        assert d["retries"] == 0 and d["failed_by_reason"] == {f"http_{code}": 1} and d["succeeded"] == 0

    @pytest.mark.parametrize("code", [408, 409, 425, 502, 504])
    def test_other_retryable_statuses(self, server: _Server, code: int) -> None:
        server.play(status(code), ok({"ok": True}))
        result, counters = call(_url(server), "post_json", "/completions", {})
        assert result == {"ok": True}
        assert counters.to_dict()["retries_by_reason"] == {f"http_{code}": 1}

    def test_gives_up_after_the_budget(self, server: _Server) -> None:
        server.play(status(500))
        policy = RetryPolicy(max_retries=2, backoff_s=0.01, timeout_s=1.0)
        result, counters = call(_url(server), "post_json", "/completions", {}, policy=policy)
        assert isinstance(result, RequestFailed)
        assert "gave up after 3 attempts" in str(result)
        assert result.status == 500 and result.reason == "http_500"
        assert len(server.seen) == 3
        d = counters.to_dict()
        assert d["attempts"] == 3 and d["retries_by_reason"] == {"http_500": 2}
        assert d["failed_by_reason"] == {"http_500": 1} and d["succeeded"] == 0

    def test_headers_stay_out_of_the_message(self, server: _Server) -> None:
        server.play(status(401))
        result, _ = call(_url(server), "post_json", "/completions", {}, headers={"Authorization": "Bearer sk-secret"})
        assert isinstance(result, RequestFailed) and "sk-secret" not in str(result)

    @pytest.mark.parametrize("bad", [b'{"choices": [', b"[1, 2]", b"\xff\xfe\xfa"])
    def test_malformed_body_is_retried(self, server: _Server, bad: bytes) -> None:
        server.play(send(200, bad), ok({"fine": 1}))
        result, counters = call(_url(server), "post_json", "/completions", {})
        assert result == {"fine": 1}
        assert counters.to_dict()["retries_by_reason"] == {"malformed": 1}

    def test_read_timeout_is_retried(self, server: _Server) -> None:
        server.play(slow(0.6, ok({"late": True})), ok({"fine": 1}))
        result, counters = call(_url(server), "post_json", "/completions", {})
        assert result == {"fine": 1}
        assert counters.to_dict()["retries_by_reason"] == {"timeout": 1}

    def test_dropped_connection_is_retried(self, server: _Server) -> None:
        server.play(hang_up, ok({"fine": 1}))
        result, counters = call(_url(server), "post_json", "/completions", {})
        assert result == {"fine": 1}
        assert counters.to_dict()["retries_by_reason"] == {"connection": 1}

    def test_connection_refused(self) -> None:
        with socket.socket() as s:  # a port nobody listens on once closed
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        policy = RetryPolicy(max_retries=1, backoff_s=0.01, connect_timeout_s=1.0)
        result, counters = call(f"http://127.0.0.1:{port}", "post_json", "/x", {}, policy=policy)
        assert isinstance(result, RequestFailed)
        assert result.reason == "connection" and result.status is None
        assert "gave up after 2 attempts" in str(result)
        assert counters.to_dict()["failed_by_reason"] == {"connection": 1}

    def test_undecodable_content_encoding_is_retried(self, server: _Server) -> None:
        server.play(send(200, b"not gzip at all", {"Content-Encoding": "gzip"}), ok({"fine": 1}))
        result, counters = call(_url(server), "post_json", "/completions", {})
        assert result == {"fine": 1}
        assert counters.to_dict()["retries_by_reason"] == {"malformed": 1}


# --- RetryingClient: SSE ------------------------------------------------------------------------

class TestPostStream:
    def test_events_and_timings(self, server: _Server) -> None:
        server.play(sse(GOOD_STREAM))
        result, counters = call(_url(server), "post_stream", "/completions", {"stream": True})
        events, ttft, total = result
        assert [e["choices"][0]["text"] for e in events] == ["Hel", "lo", ""]
        assert ttft is not None and 0.0 < ttft <= total
        assert counters.to_dict()["succeeded"] == 1 and counters.to_dict()["retries"] == 0

    def test_chat_deltas_count_as_content(self, server: _Server) -> None:
        lines = ['data: {"choices": [{"delta": {"role": "assistant"}}]}',
                 'data: {"choices": [{"delta": {"content": "Hi"}}]}',
                 'data: {"choices": [{"delta": {}, "finish_reason": "stop"}]}',
                 "data:[DONE]"]
        server.play(sse(lines))
        (events, ttft, _), _ = call(_url(server), "post_stream", "/chat/completions", {})
        assert len(events) == 3 and ttft is not None

    def test_no_content_means_no_ttft(self, server: _Server) -> None:
        server.play(sse([chunk("", "length"), "data: [DONE]"]))
        (events, ttft, total), _ = call(_url(server), "post_stream", "/completions", {})
        assert len(events) == 1 and ttft is None and total > 0

    @pytest.mark.parametrize("broken", [
        GOOD_STREAM[:-1],  # no [DONE]
        [chunk("Hel"), chunk("lo"), "data: [DONE]"],  # no finish_reason: interrupted
        [chunk("Hel"), "data: {not json", "data: [DONE]"],
        [chunk("Hel"), "data: [1]", "data: [DONE]"],
    ])
    def test_broken_stream_is_retried(self, server: _Server, broken: list[str]) -> None:
        server.play(sse(broken), sse(GOOD_STREAM))
        result, counters = call(_url(server), "post_stream", "/completions", {})
        events, _, _ = result
        assert len(events) == 3
        assert counters.to_dict()["retries_by_reason"] == {"malformed": 1}

    @pytest.mark.parametrize(("broken", "words"), [
        (GOOD_STREAM[:-1], "without [DONE]"),
        ([chunk("Hel"), "data: [DONE]"], "without a finish_reason"),
    ])
    def test_always_broken_stream_fails(self, server: _Server, broken: list[str], words: str) -> None:
        server.play(sse(broken))
        policy = RetryPolicy(max_retries=1, backoff_s=0.01, timeout_s=1.0)
        result, counters = call(_url(server), "post_stream", "/completions", {}, policy=policy)
        assert isinstance(result, RequestFailed)
        assert result.reason == "malformed" and words in str(result)
        assert "gave up after 2 attempts" in str(result)
        assert counters.to_dict()["failed_by_reason"] == {"malformed": 1}

    def test_error_status_before_the_stream(self, server: _Server) -> None:
        server.play(status(429, {"Retry-After": "0"}), sse(GOOD_STREAM))
        result, counters = call(_url(server), "post_stream", "/completions", {})
        assert len(result[0]) == 3
        assert counters.to_dict()["retries_by_reason"] == {"rate_limited": 1}

    def test_event_with_non_object_choices_is_retried(self, server: _Server) -> None:
        server.play(sse(['data: {"choices": ["x"]}', "data: [DONE]"]), sse(GOOD_STREAM))
        result, counters = call(_url(server), "post_stream", "/completions", {})
        assert len(result[0]) == 3
        assert counters.to_dict()["retries_by_reason"] == {"malformed": 1}
