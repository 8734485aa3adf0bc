"""An HTTP proxy that injects seeded faults between an OpenAI-compatible client and its server.

A long evaluation against a real server meets 500s, 429s with Retry-After, dropped
connections, stalls and garbled bodies. This proxy forwards each request to `upstream` and,
at configured rates, answers with one of those faults instead, so tests (and users,
through `python -m assay.testing.faultproxy`) can check that a run through it ends with the
same results as a direct one. Faults are drawn from one seeded RNG, so a sequential client
meets the same fault sequence every time.

The server side is asyncio + h11 rather than a web framework: an ASGI server turns an
exception raised before the response into a 500, so a true "drop" (the connection closed
with no response bytes at all) cannot be injected through one. h11 only frames HTTP; it
leaves the socket, and so the choice to close it, to us. The upstream side is
`httpx.AsyncClient`, streaming each body through as it arrives (SSE included).

Nothing here logs request headers: they carry API keys.
"""

from __future__ import annotations

import argparse
import asyncio
import enum
import json
import random
import threading
import time
from dataclasses import dataclass, fields
from typing import Sequence

import h11
import httpx

_READ_SIZE = 65536

# Hop-by-hop headers (RFC 9110 §7.6.1) and the framing headers that h11 and httpx set
# themselves when they re-frame a message; forwarding them would describe the wrong framing.
_HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"proxy-connection",
     b"te", b"trailer", b"transfer-encoding", b"upgrade", b"content-length"}
)
_REQUEST_SKIP = _HOP_BY_HOP | {b"host", b"expect"}

# Cut off mid-string: no JSON parser accepts these.
_MALFORMED_JSON = b'{"id": "cmpl-faultproxy", "object": "text_completion", "choices": [{"text": "'
_MALFORMED_SSE = b'data: {"id": "cmpl-faultproxy", "choices": [{"text": "\n\ndata: [DONE]\n\n'


class Fault(enum.Enum):
    """The faults the proxy can inject, in the order their rate ranges are laid out."""

    ERROR_500 = "error_500"
    RATE_LIMIT_429 = "rate_limit_429"
    DROP = "drop"
    STALL = "stall"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class FaultRates:
    """How often each fault is injected on a faultable request, and its parameters.

    Rates are probabilities per request; they share one draw, so they must sum to <= 1 and
    the rest is forwarded untouched. `retry_after_s` is the Retry-After header of a 429;
    `stall_s` how long a stalled request is held before its connection is closed (set it
    above the client's timeout so the timeout fires first)."""

    error_500: float = 0.0
    rate_limit_429: float = 0.0
    retry_after_s: float = 0.2
    drop: float = 0.0
    stall: float = 0.0
    stall_s: float = 30.0
    malformed: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for fault in Fault:
            rate = getattr(self, fault.value)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"FaultRates.{fault.value} must be in [0, 1], got {rate!r}")
        total = sum(getattr(self, fault.value) for fault in Fault)
        if total > 1.0 + 1e-9:
            names = " + ".join(fault.value for fault in Fault)
            raise ValueError(f"FaultRates: {names} must sum to <= 1, got {total:g}")
        for name in ("retry_after_s", "stall_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"FaultRates.{name} must be >= 0, got {getattr(self, name)!r}")


class FaultProxy:
    """A fault-injecting HTTP proxy on its own thread and event loop.

    Requests whose path is in `fault_paths` draw one number from `random.Random(rates.seed)`
    (shared by all requests) and get the fault whose cumulative range holds it, or are
    forwarded; every other path is always forwarded. Use as a context manager, or call
    `start()` and `stop()`."""

    def __init__(
        self,
        upstream: str,
        rates: FaultRates = FaultRates(),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        fault_paths: tuple[str, ...] = ("/v1/completions", "/v1/chat/completions"),
    ) -> None:
        if not upstream.startswith(("http://", "https://")):
            raise ValueError(f"upstream must be an http(s) base URL, got {upstream!r}")
        self.upstream = upstream.rstrip("/")
        self.rates = rates
        self.host = host
        self.port = port
        self.fault_paths = frozenset(fault_paths)
        self._rng = random.Random(rates.seed)
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(["requests", "forwarded", *(f.value for f in Fault)], 0)
        self._bound_port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._start_error: BaseException | None = None
        self._client: httpx.AsyncClient | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """The proxy's base URL, e.g. `http://127.0.0.1:40123`; known once started."""
        if self._bound_port is None:
            raise RuntimeError("FaultProxy.url is known only after start()")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._bound_port}"

    @property
    def counts(self) -> dict[str, int]:
        """A copy of the tallies: every request, those forwarded, and each fault injected."""
        with self._lock:
            return dict(self._counts)

    def start(self) -> FaultProxy:
        """Bind and serve on a daemon thread; return once listening (raise if binding fails)."""
        if self._thread is not None:
            raise RuntimeError("FaultProxy is already running")
        ready = threading.Event()
        self._start_error = None
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._serve(ready)), name="assay-faultproxy", daemon=True
        )
        self._thread.start()
        ready.wait()
        if self._start_error is not None:
            self._thread.join()
            self._thread = None
            raise self._start_error
        return self

    def stop(self) -> None:
        """Close the listener and every open connection, then join the thread. Idempotent."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None:
            try:
                loop.call_soon_threadsafe(stopping.set)
            except RuntimeError:  # the loop already ended on its own
                pass
        thread.join()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- the event loop side ---------------------------------------------------------

    async def _serve(self, ready: threading.Event) -> None:
        try:
            self._loop = asyncio.get_running_loop()
            self._stopping = asyncio.Event()
            server = await asyncio.start_server(self._on_connection, self.host, self.port)
        except BaseException as exc:  # handed to start(), which raises it in the caller
            self._start_error = exc
            ready.set()
            return
        # No read timeout upstream: generation can be slow, and the client enforces its own.
        # trust_env=False: an HTTP(S)_PROXY in the environment must not reroute a local hop.
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(None, connect=10.0),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=32),
            trust_env=False,
        )
        self._bound_port = server.sockets[0].getsockname()[1]
        ready.set()
        try:
            await self._stopping.wait()
        finally:
            server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._client.aclose()
            await server.wait_closed()

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve requests on one connection until the client leaves or a fault closes it."""
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                received = await _read_request(conn, reader, writer)
                if received is None:
                    return
                if not await self._respond(conn, writer, *received):
                    return
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except (h11.ProtocolError, OSError, httpx.HTTPError):
            return  # a broken client or upstream: closing the connection is the only answer
        except asyncio.CancelledError:
            # Only stop() cancels a connection, and it awaits the task; ending quietly spares
            # Python 3.11's stream callback a spurious "exception in callback" log.
            return
        finally:
            self._connections.discard(task)
            writer.close()

    async def _respond(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, request: h11.Request, body: bytes
    ) -> bool:
        """Answer one request, by a fault or by forwarding; False means close the connection."""
        self._count("requests")
        path = request.target.split(b"?", 1)[0].decode("latin-1")
        fault = self._draw_fault() if path in self.fault_paths else None
        if fault is None:
            self._count("forwarded")
            await self._forward(conn, writer, request, body)
            return True
        self._count(fault.value)
        if fault is Fault.DROP:
            return False
        if fault is Fault.STALL:
            await asyncio.sleep(self.rates.stall_s)
            return False
        if fault is Fault.ERROR_500:
            await _send_body(conn, writer, 500, _error_json("injected fault: 500", "server_error", 500))
        elif fault is Fault.RATE_LIMIT_429:
            retry_after = [(b"retry-after", f"{self.rates.retry_after_s:g}".encode())]
            body_429 = _error_json("injected fault: 429", "rate_limit_error", 429)
            await _send_body(conn, writer, 429, body_429, extra_headers=retry_after)
        elif _wants_stream(body):
            await _send_body(conn, writer, 200, _MALFORMED_SSE, b"text/event-stream")
        else:
            await _send_body(conn, writer, 200, _MALFORMED_JSON)
        return True

    async def _forward(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, request: h11.Request, body: bytes
    ) -> None:
        """Relay the request upstream and stream its response back chunk by chunk.

        Raw (still content-encoded) bytes are relayed with their Content-Encoding, so the
        body the client decodes is byte-identical to a direct request's."""
        assert self._client is not None
        headers = [(k, v) for k, v in request.headers if k.lower() not in _REQUEST_SKIP]
        if not any(k.lower() == b"accept-encoding" for k, _ in headers):
            headers.append((b"accept-encoding", b"identity"))  # not httpx's default gzip
        upstream_request = self._client.build_request(
            request.method.decode("ascii"),
            self.upstream + request.target.decode("latin-1"),
            headers=headers,
            content=body,
        )
        try:
            response = await self._client.send(upstream_request, stream=True)
        except httpx.HTTPError as exc:
            message = f"faultproxy: upstream unreachable ({type(exc).__name__})"
            await _send_body(conn, writer, 502, _error_json(message, "bad_gateway", 502))
            return
        try:
            reply_headers = [(k, v) for k, v in response.headers.raw if k.lower() not in _HOP_BY_HOP]
            await _send(conn, writer, h11.Response(status_code=response.status_code, headers=reply_headers))
            async for chunk in response.aiter_raw():
                await _send(conn, writer, h11.Data(data=chunk))
            await _send(conn, writer, h11.EndOfMessage())
        finally:
            await response.aclose()

    def _draw_fault(self) -> Fault | None:
        """One draw from the shared RNG, mapped onto the faults' cumulative ranges."""
        with self._lock:
            draw = self._rng.random()
        edge = 0.0
        for fault in Fault:
            edge += getattr(self.rates, fault.value)
            if draw < edge:
                return fault
        return None

    def _count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1


async def _read_request(
    conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> tuple[h11.Request, bytes] | None:
    """Read one whole request (head and body), or None when the client closed first."""
    request: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            if conn.they_are_waiting_for_100_continue:
                await _send(conn, writer, h11.InformationalResponse(status_code=100))
            conn.receive_data(await reader.read(_READ_SIZE))
        elif isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert request is not None
            return request, bytes(body)
        else:  # ConnectionClosed (or PAUSED, which a finished cycle never reaches here)
            return None


async def _send(conn: h11.Connection, writer: asyncio.StreamWriter, event: h11.Event) -> None:
    data = conn.send(event)
    if data:
        writer.write(data)
        await writer.drain()


async def _send_body(
    conn: h11.Connection,
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    content_type: bytes = b"application/json",
    extra_headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Send a whole response with a known length (the fault replies, which never stream)."""
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    headers += extra_headers
    await _send(conn, writer, h11.Response(status_code=status, headers=headers))
    await _send(conn, writer, h11.Data(data=body))
    await _send(conn, writer, h11.EndOfMessage())


def _error_json(message: str, kind: str, code: int) -> bytes:
    """An OpenAI-style error body, so clients that parse errors see a familiar shape."""
    return json.dumps({"error": {"message": message, "type": kind, "code": code}}).encode()


def _wants_stream(body: bytes) -> bool:
    """Whether an OpenAI-style request body asks for an SSE stream (`"stream": true`)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(payload, dict) and payload.get("stream") is True


def build_parser() -> argparse.ArgumentParser:
    """The `python -m assay.testing.faultproxy` command line; flag names mirror `FaultRates`."""
    parser = argparse.ArgumentParser(
        prog="python -m assay.testing.faultproxy",
        description="Forward to an OpenAI-compatible server, injecting seeded faults.",
    )
    parser.add_argument(
        "--upstream", required=True, help="base URL of the real server, e.g. http://127.0.0.1:8080"
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    defaults = FaultRates()
    for field in fields(FaultRates):
        flag = "--retry-after" if field.name == "retry_after_s" else "--" + field.name.replace("_", "-")
        default = getattr(defaults, field.name)
        if field.name == "seed":
            kind, metavar, what = int, "N", "seed of the fault draws"
        elif field.name.endswith("_s"):
            kind, metavar, what = float, "S", "seconds"
        else:
            kind, metavar, what = float, "R", "rate in [0, 1]"
        help_text = f"{what} (default {default:g})"
        parser.add_argument(flag, dest=field.name, type=kind, default=default, metavar=metavar, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the proxy in the foreground until Ctrl-C, then print the fault counts."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        rates = FaultRates(**{field.name: getattr(args, field.name) for field in fields(FaultRates)})
        proxy = FaultProxy(args.upstream, rates, port=args.port)
    except ValueError as exc:
        parser.error(str(exc))
    proxy.start()
    print(proxy.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        proxy.stop()
    print(json.dumps(proxy.counts), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
