"""A retrying HTTP transport for model APIs: backoff with jitter, Retry-After, timeouts, SSE.

A long paid evaluation must survive what hosted and local servers do under load: 429s with
Retry-After, 5xx, dropped connections, stalls and truncated bodies. Every such failure is
retried up to a budget and counted by reason; what still fails is raised as `RequestFailed`,
which the adapter turns into a per-request error (the run goes on, a rerun retries it).
A 4xx other than 408/409/425/429 is never retried: the adapter turns the permanent ones
(401/403, 404, a context overflow) into `PermanentModelError`, which stops the run.

Written by hand on httpx rather than with a retry library: the policy needs Retry-After
from the response, a malformed body counted as a retryable fault, and per-reason counts
for the run manifest, which would each be a custom hook anyway.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Mapping

import httpx

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: `max_retries` after the first attempt, exponential backoff from
    `backoff_s` doubling up to `max_backoff_s`, each wait drawn uniformly in [0, bound]
    ("full jitter"), never shorter than the server's Retry-After."""

    max_retries: int = 6
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    max_retry_after_s: float = 300.0
    """A server asking for a longer wait is waited for this long, then tried again."""
    timeout_s: float = 120.0
    connect_timeout_s: float = 10.0

    def wait(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        bound = min(self.max_backoff_s, self.backoff_s * (2 ** attempt))
        jittered = rng.uniform(0.0, bound)
        return max(jittered, min(retry_after, self.max_retry_after_s)) if retry_after is not None else jittered


class RequestFailed(Exception):
    """A request that kept failing past the retry budget, or failed in a way retrying
    cannot fix (4xx other than 408/409/425/429). `reason` is a short code."""

    def __init__(self, reason: str, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.body = body
        """The server's answer (first 2,000 characters), for telling error kinds apart."""


class TransportCounters:
    """Thread-safe counts of attempts, retries by reason and requests that failed for good."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.attempts = 0
        self.retries: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.succeeded = 0

    def record(self, what: str, reason: str | None = None) -> None:
        with self._lock:
            if what == "attempt":
                self.attempts += 1
            elif what == "retry":
                self.retries[reason or "other"] += 1
            elif what == "failed":
                self.failed[reason or "other"] += 1
            elif what == "ok":
                self.succeeded += 1

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "attempts": self.attempts,
                "succeeded": self.succeeded,
                "retries": sum(self.retries.values()),
                "retries_by_reason": dict(sorted(self.retries.items())),
                "failed": sum(self.failed.values()),
                "failed_by_reason": dict(sorted(self.failed.items())),
            }


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds (fractions accepted) or an
    HTTP date. None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _status_reason(status: int) -> str:
    return "rate_limited" if status == 429 else f"http_{status}"


def _transport_reason(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError, MalformedResponse, httpx.DecodingError)):
        return "malformed"
    return "connection"


class MalformedResponse(ValueError):
    """A 200 whose body is not the JSON (or SSE) the API promises."""


class EmptyStream(MalformedResponse):
    """A 200 event stream that ended cleanly before its first line. llama-cpp-python's server
    answers this way when a streamed request fails before the first token (a prompt longer
    than the context, say): the reason is only given to the same request unstreamed. Not
    retried here; the adapter asks again without streaming."""


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


class RetryingClient:
    """POSTs JSON to one base URL with the retry policy; one instance per adapter and event
    loop. Headers (which carry the API key) are never put into messages or logs."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        policy: RetryPolicy,
        counters: TransportCounters,
        *,
        max_connections: int = 16,
        seed: int = 0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.policy = policy
        self.counters = counters
        self._rng = random.Random(seed)
        timeout = httpx.Timeout(policy.timeout_s, connect=policy.connect_timeout_s)
        self._client = httpx.AsyncClient(
            headers=dict(headers), timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get_json(self, path: str) -> Any:
        """GET with the same retry policy (used for `/models`)."""
        return await self._with_retries("GET", path, None, self._read_json)

    async def post_json(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST `body`, return the decoded JSON answer."""
        return await self._with_retries("POST", path, body, self._read_json)

    async def post_stream(self, path: str, body: Mapping[str, Any]) -> tuple[list[dict[str, Any]], float | None, float]:
        """POST a streaming request; return (the SSE events as dicts, seconds to the first
        content event, total seconds). The whole stream is retried if it breaks."""
        return await self._with_retries("POST", path, body, self._read_events, stream=True)

    async def _with_retries(self, method: str, path: str, body: Mapping[str, Any] | None, reader: Any, *, stream: bool = False) -> Any:
        url = self.base_url + path
        last: RequestFailed | None = None
        retry_after: float | None = None
        for attempt in range(self.policy.max_retries + 1):
            if attempt:
                self.counters.record("retry", last.reason if last else None)
                await asyncio.sleep(self.policy.wait(attempt - 1, retry_after, self._rng))
                retry_after = None
            self.counters.record("attempt")
            try:
                began = time.perf_counter()
                async with self._client.stream(method, url, json=body) as response:
                    if response.status_code < 400:
                        result = await (reader(response, began) if stream else reader(response))
                        self.counters.record("ok")
                        return result
                    text = (await response.aread()).decode("utf-8", "replace")
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
            except EmptyStream as exc:
                raise RequestFailed("empty_stream", f"{method} {path}: {exc}", 200) from None
            except (httpx.TransportError, httpx.DecodingError, json.JSONDecodeError, UnicodeDecodeError, MalformedResponse) as exc:
                reason = _transport_reason(exc)
                detail = _short(str(exc)) or "no detail"
                last = RequestFailed(reason, f"{method} {path}: {reason} ({type(exc).__name__}: {detail})")
                continue
            status = response.status_code
            last = RequestFailed(_status_reason(status), f"{method} {path}: HTTP {status}: {_short(text)}", status,
                                 text[:2000])
            if status not in RETRYABLE_STATUS:
                self.counters.record("failed", last.reason)
                raise last
        assert last is not None
        self.counters.record("failed", last.reason)
        attempts = self.policy.max_retries + 1
        raise RequestFailed(last.reason, f"{last} (gave up after {attempts} attempts)", last.status, last.body)

    @staticmethod
    async def _read_json(response: httpx.Response) -> Any:
        data = json.loads(await response.aread())
        if not isinstance(data, dict):
            raise MalformedResponse(f"expected a JSON object, got {type(data).__name__}")
        return data

    @staticmethod
    async def _read_events(response: httpx.Response, began: float) -> tuple[list[dict[str, Any]], float | None, float]:
        events: list[dict[str, Any]] = []
        first: float | None = None
        done = False
        lines = 0
        async for line in response.aiter_lines():
            lines += 1
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                done = True
                break
            event = json.loads(payload)
            choices = event.get("choices") if isinstance(event, dict) else None
            if not isinstance(event, dict) or not isinstance(choices or [], list) or not all(isinstance(c, dict) for c in choices or []):
                raise MalformedResponse("SSE event is not a JSON object with a list of choices")
            if first is None and _has_content(event):
                first = time.perf_counter() - began
            events.append(event)
        if not lines:
            raise EmptyStream("the stream ended before its first event")
        if not done:
            raise MalformedResponse("stream ended without [DONE]")
        if not any(c.get("finish_reason") for e in events for c in e.get("choices") or []):
            # llama-cpp-python's server cuts a stream short when another request arrives
            # (unless started with --interrupt_requests False) and still sends [DONE].
            raise MalformedResponse("stream ended without a finish_reason (interrupted by the server?)")
        return events, first, time.perf_counter() - began


def _has_content(event: Mapping[str, Any]) -> bool:
    for choice in event.get("choices") or []:
        delta = choice.get("delta") or {}
        if choice.get("text") or delta.get("content"):
            return True
    return False

