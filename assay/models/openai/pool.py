"""Many OpenAI-compatible servers of one model as one `AsyncModel`: balancing, health, failover, one rate limit.

Specs: `openai:MODEL@URL1,URL2,...` (each endpoint gets the adapter's `concurrency`, weight 1)
or `openai:MODEL@endpoints.yaml`:

    endpoints:
      - url: http://10.0.0.1:8000/v1
        concurrency: 8        # requests in flight at this server (default: the concurrency setting)
        weight: 2             # its share of the traffic relative to the others (default 1)
      - url: http://10.0.0.2:8000/v1
    rate_limit_rps: 20        # one provider-wide limit on requests started per second (optional)
    health_interval_s: 2      # how often endpoints are probed (GET /models)

Each request goes to the healthy endpoint with the fewest requests in flight per unit of
weight (ties to the first). A request whose answer fails at the transport level triggers a
health probe of its endpoint; an endpoint that fails it is taken out of rotation, and the
request is sent again to another endpoint (in-flight failover). A background thread probes
every endpoint each `health_interval_s`: a failing one is taken out, a recovered one is put
back. A request-level failure from a healthy server (a 400) is data, as with one server.

All endpoints are taken to serve the same model: the cache identity is the model name and
the sorted endpoint list (or the `identity` pin), so answers are shared whichever server
gave them. The pool's one rate limiter is shared by every request of the process; under a
Ray executor every worker's pool waits on one shared limiter actor instead (`share_rate_limit`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence
from urllib.parse import urlparse

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assay.core.requests import Generate, Loglikelihood, LoglikelihoodRolling
from assay.core.responses import Response
from assay.errors import ConfigError, ModelError
from assay.models.base import Capabilities, ModelInfo, ProgressCallback
from assay.models.openai.settings import OpenAISettings


_HUNG_PROBES = 5


class EndpointSpec(BaseModel):
    """One server of a pool."""

    model_config = ConfigDict(extra="forbid")
    url: str
    concurrency: int | None = Field(None, ge=1)
    weight: float = Field(1.0, gt=0)


class PoolSpec(BaseModel):
    """A pool's YAML file."""

    model_config = ConfigDict(extra="forbid")
    endpoints: list[EndpointSpec] = Field(min_length=1)
    rate_limit_rps: float | None = Field(None, gt=0)
    health_interval_s: float = Field(2.0, gt=0)


def _check_url(url: str, *, file: Path | None = None, line: int | None = None, field_name: str = "model") -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or not parsed.hostname:
        raise ConfigError(f"bad endpoint URL {url!r}", file=file, line=line, field=field_name,
                          hint="write http://host:port/v1 (the server's OpenAI-compatible base URL)")
    try:
        parsed.port  # noqa: B018 — raises on a port that is not a number
    except ValueError:
        raise ConfigError(f"bad port in endpoint URL {url!r}", file=file, line=line, field=field_name) from None
    return url.rstrip("/")


def load_pool_file(path: str | Path) -> PoolSpec:
    """A pool YAML file, validated; errors name the file, line and field."""
    path = Path(path)
    if not path.exists():
        raise ConfigError("endpoint list not found", file=path, hint="write a YAML file with an `endpoints:` list")
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", file=path,
                          line=mark.line + 1 if mark else None) from None
    lines: dict[int, int] = {}
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "endpoints" and isinstance(value, yaml.SequenceNode):
                lines = {i: item.start_mark.line + 1 for i, item in enumerate(value.value)}
    try:
        spec = PoolSpec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(p) for p in error["loc"]]
        line = lines.get(int(loc[1])) if len(loc) > 1 and loc[0] == "endpoints" and loc[1].isdigit() else None
        where = loc[0] + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc[1:])
        raise ConfigError(error["msg"], file=path, line=line, field=where) from None
    for i, endpoint in enumerate(spec.endpoints):
        endpoint.url = _check_url(endpoint.url, file=path, line=lines.get(i), field_name=f"endpoints[{i}].url")
    return spec


def pool_spec_from(target: str) -> PoolSpec | None:
    """The pool an `openai:MODEL@TARGET` names (a comma-separated URL list or a YAML file), or None for one URL."""
    if target.endswith((".yaml", ".yml")) and not target.startswith(("http://", "https://")):
        return load_pool_file(target)
    if "," not in target:
        return None
    urls = [u.strip() for u in target.split(",")]
    if any(not u for u in urls):
        raise ConfigError(f"empty entry in the endpoint list {target!r}", field="model")
    return PoolSpec(endpoints=[EndpointSpec(url=_check_url(u)) for u in urls])


class RateLimiter:
    """At most `rps` request starts per second across every caller (event loops and threads):
    each start is given the next free slot on a shared clock."""

    def __init__(self, rps: float) -> None:
        self.interval = 1.0 / rps
        self._next = 0.0
        self._lock = threading.Lock()

    async def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


@dataclass
class Endpoint:
    """One server's state in the pool."""

    url: str
    weight: float
    concurrency: int
    model: Any = None
    healthy: bool = False
    in_flight: int = 0
    answered: int = 0
    taken_out: int = 0
    put_back: int = 0
    ever_up: bool = False
    semaphore: asyncio.Semaphore | None = field(default=None, repr=False)


class EndpointPool:
    """One model behind several OpenAI-compatible servers (an `AsyncModel`)."""

    def __init__(self, model: str, pool: PoolSpec, settings: OpenAISettings, progress: ProgressCallback,
                 build: Callable[[str, OpenAISettings], Any] | None = None) -> None:
        from assay.models.openai.adapter import OpenAIModel

        self.model_name = model
        self.spec_pool = pool
        self._settings = settings
        # Each server retries once at most: past that, failing over to another server is faster.
        member = settings.model_copy(update={"max_retries": min(settings.max_retries, 1)})
        self._build = build or (lambda url, s: OpenAIModel(model, url, member, lambda _m: None))
        self.endpoints = [Endpoint(e.url, e.weight, e.concurrency or settings.concurrency) for e in pool.endpoints]
        self.max_concurrency = sum(e.concurrency for e in self.endpoints)
        self._limiter = RateLimiter(pool.rate_limit_rps) if pool.rate_limit_rps else None
        self.failovers = 0
        self._lock = threading.Lock()
        for endpoint in self.endpoints:
            self._revive(endpoint, progress)
        if not any(e.healthy for e in self.endpoints):
            self.close()
            raise ModelError(f"no endpoint of the pool answers: {', '.join(e.url for e in self.endpoints)}")
        identity: dict[str, Any] = {"model": model}
        identity.update({"pin": settings.identity} if settings.identity is not None
                        else {"endpoints": sorted(e.url for e in self.endpoints)})
        first = next(e for e in self.endpoints if e.healthy).model
        self.info = ModelInfo(name=f"openai:{model}", adapter="openai", identity=identity,
                              has_chat_template=settings.chat,
                              details={"endpoints": [e.url for e in self.endpoints],
                                       "rate_limit_rps": pool.rate_limit_rps})
        self._first = first
        self._stop = threading.Event()
        self._health = threading.Thread(target=self._health_loop, name="assay-pool-health", daemon=True)
        self._health.start()

    # --- health ----------------------------------------------------------------------

    def _probe(self, url: str) -> bool | None:
        """True: the server answers; False: it is gone (refused, reset, 5xx); None: it accepted
        the connection but did not answer in time (busy, or hung)."""
        try:
            return httpx.get(url + "/models", timeout=httpx.Timeout(5.0, connect=2.0)).status_code < 500
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout):
            return None
        except httpx.HTTPError:
            return False

    def _revive(self, endpoint: Endpoint, progress: ProgressCallback = lambda _m: None) -> None:
        """Put an endpoint (back) into rotation if it answers; build its client on first success."""
        if self._probe(endpoint.url) is not True:
            progress(f"endpoint {endpoint.url} does not answer: out of rotation until it does")
            return
        if endpoint.model is None:
            try:
                endpoint.model = self._build(endpoint.url, self._settings)
            except ModelError as exc:
                progress(f"endpoint {endpoint.url}: {exc}")
                return
        with self._lock:
            if not endpoint.healthy:
                endpoint.healthy = True
                endpoint.put_back += endpoint.ever_up  # a return to rotation, not the first entry
                endpoint.ever_up = True

    def _take_out(self, endpoint: Endpoint) -> None:
        with self._lock:
            if endpoint.healthy:
                endpoint.healthy = False
                endpoint.taken_out += 1

    def _health_loop(self) -> None:
        # A server that accepts connections but answers no probe for `_HUNG_PROBES` rounds in a
        # row is hung: a busy one (a single-threaded llama.cpp server mid-generation) answers
        # within a few rounds, and a dead one refuses at once.
        silent: dict[str, int] = {}
        while not self._stop.wait(self.spec_pool.health_interval_s):
            for endpoint in self.endpoints:
                if not endpoint.healthy:
                    self._revive(endpoint)
                    continue
                alive = self._probe(endpoint.url)
                silent[endpoint.url] = silent.get(endpoint.url, 0) + 1 if alive is None else 0
                if alive is False or silent[endpoint.url] >= _HUNG_PROBES:
                    self._take_out(endpoint)
                    silent[endpoint.url] = 0

    # --- routing ---------------------------------------------------------------------

    def _choose(self, exclude: set[str]) -> Endpoint | None:
        live = [e for e in self.endpoints if e.healthy and e.url not in exclude]
        if not live:
            return None
        return min(live, key=lambda e: ((e.in_flight + 1) / e.weight, -e.weight))

    async def _one(self, call: Callable[[Any], Awaitable[list[Response]]], failed: Callable[[str], Response]) -> Response:
        tried: set[str] = set()
        last = "no endpoint of the pool is healthy"
        while True:
            endpoint = self._choose(tried)
            if endpoint is None:
                return failed(f"{last} (tried {len(tried)} endpoints)")
            if endpoint.semaphore is None:
                endpoint.semaphore = asyncio.Semaphore(endpoint.concurrency)
            async with endpoint.semaphore:
                if self._limiter is not None:
                    await self._limiter.wait()
                endpoint.in_flight += 1
                try:
                    (answer,) = await call(endpoint.model)
                finally:
                    endpoint.in_flight -= 1
            if answer.error is None:
                endpoint.answered += 1
                return answer
            # A failed answer: is the server gone, or was it this request (or a busy server)?
            if await asyncio.to_thread(self._probe, endpoint.url) is not False:
                return answer
            self._take_out(endpoint)
            tried.add(endpoint.url)
            self.failovers += 1
            last = f"{endpoint.url}: {answer.error}"

    async def generate(self, requests: Sequence[Generate]) -> list[Response]:
        return list(await asyncio.gather(*(self._one(lambda m, r=r: m.generate([r]), _failer(r)) for r in requests)))

    async def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[Response]:
        return list(await asyncio.gather(*(self._one(lambda m, r=r: m.loglikelihood([r]), _failer(r)) for r in requests)))

    async def loglikelihood_rolling(self, requests: Sequence[LoglikelihoodRolling]) -> list[Response]:
        return list(await asyncio.gather(*(self._one(lambda m, r=r: m.loglikelihood_rolling([r]), _failer(r))
                                           for r in requests)))

    @property
    def rate_limit_rps(self) -> float | None:
        return self.spec_pool.rate_limit_rps

    def share_rate_limit(self, limiter: Any) -> None:
        """Wait on `limiter` (anything with `async wait()`) instead of this process's own: one
        limit for many processes (`assay.engine.executors.ray_limiter` under Ray)."""
        self._limiter = limiter

    @property
    def capabilities(self) -> Capabilities:
        return self._first.capabilities

    def transport_stats(self) -> dict[str, Any]:
        """For the manifest: per endpoint, answers served, times taken out and put back; failovers."""
        return {"failovers": self.failovers, "rate_limit_rps": self.spec_pool.rate_limit_rps,
                "endpoints": [{"url": e.url, "weight": e.weight, "concurrency": e.concurrency, "healthy": e.healthy,
                               "answered": e.answered, "taken_out": e.taken_out, "put_back": e.put_back}
                              for e in self.endpoints]}

    def close(self) -> None:
        stop = getattr(self, "_stop", None)
        if stop is not None:
            stop.set()
        for endpoint in self.endpoints:
            if endpoint.model is not None:
                endpoint.model.close()
                endpoint.model = None


def _failer(request: Any) -> Callable[[str], Response]:
    from assay.core.requests import RequestKind
    from assay.core.responses import Completion, LoglikelihoodResult, RollingLoglikelihoodResult

    def failed(message: str) -> Response:
        if request.kind is RequestKind.LOGLIKELIHOOD:
            return LoglikelihoodResult(logprob=float("nan"), is_greedy=False, n_tokens=0, error=message)
        if request.kind is RequestKind.LOGLIKELIHOOD_ROLLING:
            return RollingLoglikelihoodResult(logprob=float("nan"), n_tokens=0, error=message)
        return Completion(texts=(), error=message)

    return failed
