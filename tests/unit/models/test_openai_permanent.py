"""The openai adapter against a scripted OpenAI-style server on 127.0.0.1: permanent errors
(401/403, unknown model, context overflow) raise at once and are not retried; transient
ones stay per-request data; the async methods work from any event loop. No model."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from assay.core.messages import ChatMessage
from assay.core.requests import Generate, GenerationParams, Loglikelihood
from assay.errors import PermanentModelError
from assay.models import AsyncModel, ModelOptions, check_capabilities, is_async_model, load_model
from tests.support.aio import run

CONTEXT_ERROR = {"error": {"message": "Requested tokens (3000) exceed context window of 2048",
                           "type": "invalid_request_error", "code": "context_length_exceeded"}}
UNKNOWN_MODEL = {"error": {"message": "The model `nope` does not exist.", "type": "NotFoundError", "code": 404}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    models_status = 200
    hits: Counter[str]

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # requests cancelled by the first permanent error hang up early: expected


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:
        return None

    def _send(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.hits[self.path] += 1
        status = self.server.models_status
        self._send(status, {"data": [{"id": "served"}]} if status == 200 else {"error": {"message": "bad key"}})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        model = body["model"]
        self.server.hits[f"{model} {self.path}"] += 1
        if model in ("locked", "forbidden"):
            self._send(401 if model == "locked" else 403, {"error": {"message": "invalid api key"}})
        elif model == "nope":
            self._send(404, UNKNOWN_MODEL)
        elif model == "long" and body.get("stream"):
            # llama-cpp-python's server: a streamed request that fails before its first
            # token is a 200 event stream with no events; only unstreamed does it say why.
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif model == "long":
            self._send(400, CONTEXT_ERROR)
        elif model == "busy":
            self._send(503, {"error": {"message": "overloaded"}})
        else:
            text = "ok"
            choice = {"index": 0, "text": text, "finish_reason": "stop", "message": {"content": text}}
            self._send(200, {"choices": [choice], "usage": {"prompt_tokens": 3, "completion_tokens": 1}})


@pytest.fixture()
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.hits = Counter()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _url(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


FAST = {"max_retries": "3", "backoff_s": "0.01", "timeout_s": "5"}
PROMPT = Generate(prompt="Hi", params=GenerationParams(max_tokens=2))
CHAT = Generate(messages=(ChatMessage("user", "Hi"),), params=GenerationParams(max_tokens=2))


def _load(server: _Server, model: str, **extra: str) -> Any:
    return load_model(f"openai:{model}@{_url(server)}", ModelOptions(extra={**FAST, **extra}))


@pytest.mark.parametrize(("model", "status"), [("locked", 401), ("forbidden", 403)])
@pytest.mark.parametrize("stream", ["true", "false"])
def test_auth_refusal_raises_at_once_without_retries(server: _Server, model: str, status: int, stream: str) -> None:
    api = _load(server, model, stream=stream)
    try:
        with pytest.raises(PermanentModelError, match=f"HTTP {status}") as caught:
            run(api.generate([PROMPT, CHAT, PROMPT]))
    finally:
        api.close()
    assert caught.value.reason == "auth" and "api_key_env" in str(caught.value)
    attempts = server.hits[f"{model} /completions".replace("/completions", "/v1/completions")]
    assert 1 <= attempts <= 2  # one per request already in flight, never a retry of the same request
    assert api.transport_stats()["retries"] == 0


def test_auth_refusal_of_the_model_list_is_permanent_at_load(server: _Server) -> None:
    server.models_status = 401
    with pytest.raises(PermanentModelError, match="HTTP 401") as caught:
        _load(server, "served")
    assert caught.value.reason == "auth"
    assert server.hits["/v1/models"] == 1


def test_unknown_model_is_permanent_and_names_what_is_served(server: _Server) -> None:
    api = _load(server, "nope", stream="false")
    try:
        with pytest.raises(PermanentModelError, match="does not know the model 'nope'") as caught:
            run(api.generate([PROMPT]))
    finally:
        api.close()
    assert caught.value.reason == "unknown_model" and "served" in str(caught.value)


@pytest.mark.parametrize("stream", ["true", "false"])
def test_context_overflow_is_permanent(server: _Server, stream: str) -> None:
    api = _load(server, "long", stream=stream)
    try:
        with pytest.raises(PermanentModelError, match="longer than the context") as caught:
            run(api.generate([PROMPT]))
    finally:
        api.close()
    assert caught.value.reason == "context_length"
    # streamed: the empty stream, then once unstreamed; never retried with backoff
    assert server.hits["long /v1/completions"] == (2 if stream == "true" else 1)


def test_transient_failures_stay_per_request_data(server: _Server) -> None:
    api = _load(server, "busy", stream="false", max_retries="1")
    try:
        [failed] = run(api.generate([PROMPT]))
    finally:
        api.close()
    assert failed.error and "503" in failed.error
    assert server.hits["busy /v1/completions"] == 2  # retried once


def test_async_model_is_awaitable_from_any_event_loop(server: _Server) -> None:
    api = _load(server, "served", stream="false", concurrency="3")
    try:
        assert isinstance(api, AsyncModel) and is_async_model(api) and api.max_concurrency == 3
        assert [c.text for c in asyncio.run(api.generate([PROMPT, CHAT]))] == ["ok", "ok"]
        assert [c.text for c in asyncio.run(api.generate([PROMPT]))] == ["ok"]  # a second, new loop

        async def both() -> list[Any]:
            return list(await asyncio.gather(api.generate([PROMPT]), api.generate([CHAT])))

        assert len(run(both())) == 2  # a loop on another thread, two calls at once
    finally:
        api.close()


def test_chat_only_server_says_it_cannot_score_without_probing(server: _Server) -> None:
    api = _load(server, "served", completions="false", stream="false")
    try:
        caps = api.capabilities
        assert not caps.loglikelihood and caps.generate and "chat-only" in (caps.reason or "")
        assert not any("/completions" in k and "chat" not in k for k in server.hits)  # no probe was sent
        with pytest.raises(PermanentModelError, match="chat-only") as caught:
            check_capabilities(caps, needs_loglikelihood=True, needs_generate=False, model_name=api.info.name)
        assert caught.value.reason == "unsupported"
        check_capabilities(caps, needs_loglikelihood=False, needs_generate=True, model_name=api.info.name)
        with pytest.raises(PermanentModelError, match="chat-only"):
            run(api.loglikelihood([Loglikelihood("a", " b")]))
        with pytest.raises(PermanentModelError, match="raw prompt"):
            run(api.generate([PROMPT]))
        [reply] = run(api.generate([CHAT]))
        assert reply.text == "ok"
    finally:
        api.close()
