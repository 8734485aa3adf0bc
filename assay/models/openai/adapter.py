"""The `openai:` adapter: any OpenAI-compatible server (vLLM, llama.cpp's server, Ollama,
hosted APIs) as an `AsyncModel`.

Spec: `openai:MODEL@http://host:port/v1` (without `@URL`, the OpenAI API). Settings are
`OpenAISettings` (CLI `--model-arg KEY=VALUE`):

- `api_key_env`: the environment variable holding the key (default `OPENAI_API_KEY`, used
  when set). The key goes into the Authorization header only: never into the manifest,
  the cache, an error message or a log.
- `concurrency` (4), `timeout_s` (120), `max_retries` (6), `backoff_s` (0.5): see `RetryPolicy`.
- `stream` (true): stream single-sample generations to measure time to first token and
  time per output token.
- `body.NAME`: sent as field NAME in every request body (server-specific settings, e.g.
  `body.repeat_penalty=1.0` for llama.cpp, whose server otherwise penalises repeats; the
  value is parsed as JSON when it can be).
- `identity`: a string that pins what is served (e.g. a checkpoint hash). Without it the
  cache key is the model name and base URL.
- `chat` (true): the server applies a chat template; `completions` (true): the server has
  `/completions`. A chat-only API (`completions=false`) cannot score log-likelihoods and
  refuses raw-prompt generations.

Generation uses `/completions` for raw prompts and `/chat/completions` for conversations.
Log-likelihood uses `/completions` with `echo` and `logprobs`; the first such request (or
the first read of `capabilities`) probes the server (see `echo_logprobs.probe_alignment`)
and refuses a server whose echo log-probs are shifted (llama-cpp-python with a BOS-less
tokenizer) or match nothing. A server that returns fewer than `n` choices is remembered
and asked again, once per missing sample, with distinct seeds.

Requests run on a private event-loop thread (it owns the HTTP client and the concurrency
semaphore); `loglikelihood` and `generate` are coroutines that may be awaited from any
event loop and bridge to it. Errors that no retry can change (401/403, 404, a request
longer than the context, a refused probe) raise `PermanentModelError`; the rest come back
as per-request errors.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from dataclasses import replace
from typing import Any, Awaitable, Coroutine, Mapping, Sequence, TypeVar
from urllib.parse import urlparse

from assay.core.requests import Generate, GenerationParams, Loglikelihood, LoglikelihoodRolling
from assay.core.responses import Completion, LoglikelihoodResult, RollingLoglikelihoodResult, Usage
from assay.errors import ConfigError, ModelError, PermanentModelError
from assay.models.base import Capabilities, ModelInfo, ModelOptions, ProgressCallback
from assay.models.openai.echo_logprobs import Alignment, EchoError, probe_alignment, score_echo, score_echo_text
from assay.models.openai.errors import permanent_error
from assay.models.openai.settings import OpenAISettings, parse_openai_settings
from assay.models.openai.transport import RequestFailed, RetryingClient, RetryPolicy, TransportCounters
from assay.models.registry import register_adapter

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_PROBE_PROMPT = "The capital of France is"


def parse_spec(rest: str) -> tuple[str, str]:
    """`MODEL@URL` → (model, base URL without a trailing slash)."""
    model, _, url = rest.rpartition("@") if "@" in rest else (rest, "", DEFAULT_BASE_URL)
    parsed = urlparse(url)
    if not model or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            f"bad openai model spec 'openai:{rest}'", field="model",
            hint="write openai:MODEL@http://host:port/v1, e.g. openai:smollm2@http://127.0.0.1:8080/v1",
        )
    return model, url.rstrip("/")


class _LoopThread:
    """An asyncio loop on a daemon thread: it owns the HTTP client, so the adapter can be
    awaited from any other loop (the engine's, a notebook's, the dashboard's)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="assay-openai", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the loop from a thread that is not the loop's, and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    async def run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` on the loop from any event loop (or on it directly from its own)."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            return await coro
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


class OpenAIModel:
    """A model behind an OpenAI-compatible HTTP API (an `AsyncModel`)."""

    def __init__(self, model: str, base_url: str, settings: OpenAISettings, progress: ProgressCallback) -> None:
        self.model_name = model
        self.base_url = base_url
        self.settings = settings
        self.concurrency = self.max_concurrency = settings.concurrency
        self.stream = settings.stream
        self.extra_body = dict(settings.body)
        self.policy = RetryPolicy(max_retries=settings.max_retries, backoff_s=settings.backoff_s,
                                  timeout_s=settings.timeout_s)
        headers = {"Content-Type": "application/json"}
        key_env = settings.api_key_env or "OPENAI_API_KEY"
        key = os.environ.get(key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        elif settings.api_key_env is not None:
            raise ConfigError(f"the environment variable {key_env} (api_key_env) is not set", field="api_key_env")
        self.counters = TransportCounters()
        self._loop = _LoopThread()
        self._client = RetryingClient(base_url, headers, self.policy, self.counters, max_connections=self.concurrency)
        self._semaphore: asyncio.Semaphore | None = None
        self._probe_lock: asyncio.Lock | None = None
        self._probed = False
        self._alignment: Alignment | None = None
        self._loglikelihood_refusal: str | None = None
        self._rolling_refusal: str | None = None
        self._capabilities: Capabilities | None = None
        self._n_honoured: bool | None = None

        self.served = self._check_server(headers, progress)
        identity: dict[str, Any] = {"model": model}
        identity.update({"pin": settings.identity} if settings.identity is not None else {"base_url": base_url})
        self.info = ModelInfo(
            name=f"openai:{model}", adapter="openai", identity=identity, has_chat_template=settings.chat,
            details={"base_url": base_url, "served_models": self.served, "concurrency": self.concurrency},
        )

    # --- lifecycle -------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run(coro)

    def _check_server(self, headers: Mapping[str, str], progress: ProgressCallback) -> list[str]:
        quick = RetryingClient(self.base_url, headers, RetryPolicy(max_retries=2, backoff_s=0.2, timeout_s=15.0),
                               TransportCounters())
        try:
            data = self._run(quick.get_json("/models"))
        except RequestFailed as exc:
            self._run(quick.aclose())
            self.close()
            if exc.status in (401, 403):
                raise permanent_error(exc, self.model_name, self.base_url) from None  # type: ignore[misc]
            raise ModelError(f"cannot use the server at {self.base_url}: {exc}") from None
        self._run(quick.aclose())
        served = [str(m.get("id")) for m in data.get("data", []) if isinstance(m, dict)]
        if served and self.model_name not in served:
            # Not refused here: llama.cpp's server answers to any name; servers that check
            # names answer 404, which the first request turns into PermanentModelError.
            progress(f"note: {self.base_url} serves {served[:5]}, not '{self.model_name}' by that name")
        return served

    def _run_quiet(self, coro: Coroutine[Any, Any, Any]) -> None:
        if self._loop.loop.is_running():
            self._run(coro)

    def close(self) -> None:
        if self._loop.loop.is_closed():
            return
        self._run_quiet(self._client.aclose())
        self._loop.stop()

    def transport_stats(self) -> dict[str, Any]:
        """Attempts, retries by reason and failures, for the run manifest."""
        stats = self.counters.to_dict()
        stats["echo_alignment"] = self._alignment.value if self._alignment else None
        stats["n_honoured"] = self._n_honoured
        return stats

    @property
    def capabilities(self) -> Capabilities:
        """What this server can do. Whether it can score log-likelihoods is only known by
        asking it, so the first read probes it (two short requests, once); it blocks the
        calling thread meanwhile, so read it before a run starts."""
        if self._capabilities is None:
            if not self.settings.completions:
                reason: str | None = ("it is configured as chat-only (completions=false), and log-likelihoods need "
                                      "/completions with echo and logprobs")
            else:
                self._run(self._ensure_probed())
                reason = self._loglikelihood_refusal
            rolling = reason is None and self._rolling_refusal is None
            self._capabilities = Capabilities(loglikelihood=reason is None, generate=True, chat=self.settings.chat,
                                              reason=reason or self._rolling_refusal, loglikelihood_rolling=rolling)
        return self._capabilities

    def _permanent(self, failed: RequestFailed) -> PermanentModelError | None:
        return permanent_error(failed, self.model_name, self.base_url, self.served)

    async def _gather(self, calls: Sequence[Coroutine[Any, Any, T]]) -> list[T]:
        """Run `calls` at most `concurrency` at a time (across every caller); the first
        `PermanentModelError` cancels the rest and is raised."""
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        semaphore = self._semaphore

        async def bounded(call: Awaitable[T]) -> T:
            async with semaphore:
                return await call

        tasks = [asyncio.ensure_future(bounded(c)) for c in calls]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    # --- generation ------------------------------------------------------------------

    async def generate(self, requests: Sequence[Generate]) -> list[Completion]:
        """One completion per request, run `concurrency` at a time; a request that fails
        past the retry budget comes back with its error; a permanent failure raises."""
        return await self._loop.run_async(self._gather([self._generate_one(r) for r in requests]))

    def _body(self, request: Generate, params: GenerationParams, n: int) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {
            **self.extra_body,
            "model": self.model_name, "max_tokens": params.max_tokens, "temperature": params.temperature,
            "top_p": params.top_p, "n": n,
        }
        if params.stop:
            body["stop"] = list(params.stop)
        if params.seed is not None:
            body["seed"] = params.seed
        if request.messages is not None:
            body["messages"] = [m.to_dict() for m in request.messages]
            if request.tools is not None:  # native tool calls (assay.agents)
                body["tools"] = json.loads(request.tools)
            return "/chat/completions", body
        if not self.settings.completions:
            raise PermanentModelError(
                f"the server at {self.base_url} is configured as chat-only (completions=false), so it cannot "
                "complete a raw prompt", reason="unsupported", hint="use a chat task, or drop completions=false "
                                                                    "if the server has /completions")
        body["prompt"] = request.prompt
        return "/completions", body

    async def _generate_one(self, request: Generate) -> Completion:
        began = time.perf_counter()
        try:
            params = request.params
            if request.tools is not None and request.messages is not None:
                return await self._tool_turn(request, began)
            if params.n == 1 and self.stream:
                try:
                    return await self._stream_one(request)
                except RequestFailed as exc:
                    if exc.reason != "empty_stream":
                        raise
                    # Asked again unstreamed, the server says what went wrong (a 400 for a
                    # prompt longer than the context, which is then permanent) or answers.
                    self.counters.record("retry", "empty_stream")
            texts, finish, usage_in, usage_out = await self._sample(request, params, params.n if self._n_honoured is not False else 1)
            if len(texts) < params.n:
                # The server ignored n (llama.cpp does): ask once per missing sample, with its own seed.
                self._n_honoured = False
                base = params.seed if params.seed is not None else 0
                for j in range(len(texts), params.n):
                    more = replace(params, seed=base + j, n=1)
                    t, _, i, o = await self._sample(request, more, 1)
                    texts += t[:1]
                    usage_in += i
                    usage_out += o
            elif params.n > 1:
                self._n_honoured = True
            elapsed = time.perf_counter() - began
            return Completion(texts=tuple(texts[: params.n]), finish_reason=finish,
                              usage=Usage(tokens_in=usage_in, tokens_out=usage_out, latency_s=elapsed))
        except RequestFailed as exc:
            permanent = self._permanent(exc)
            if permanent is not None:
                raise permanent from None
            return Completion(texts=(), error=str(exc))

    async def _tool_turn(self, request: Generate, began: float) -> Completion:
        """One chat turn with tools offered, unstreamed (tool-call deltas arrive in pieces):
        the reply's text and its native tool calls."""
        path, body = self._body(request, request.params, 1)
        data = await self._client.post_json(path, body)
        choice = (data.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        calls = tuple((str(c.get("id") or f"call_{i}"), str((c.get("function") or {}).get("name") or ""),
                       str((c.get("function") or {}).get("arguments") or ""))
                      for i, c in enumerate(message.get("tool_calls") or []))
        usage = data.get("usage") or {}
        return Completion(texts=(message.get("content") or "",), finish_reason=choice.get("finish_reason"),
                          usage=Usage(tokens_in=int(usage.get("prompt_tokens") or 0),
                                      tokens_out=int(usage.get("completion_tokens") or 0),
                                      latency_s=time.perf_counter() - began),
                          tool_calls=calls or None)

    async def _sample(self, request: Generate, params: GenerationParams, n: int) -> tuple[list[str], str | None, int, int]:
        path, body = self._body(request, params, n)
        data = await self._client.post_json(path, body)
        choices = sorted(data.get("choices") or [], key=lambda c: c.get("index", 0))
        texts = [_choice_text(c) for c in choices]
        usage = data.get("usage") or {}
        finish = choices[0].get("finish_reason") if choices else None
        return texts, finish, int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)

    async def _stream_one(self, request: Generate) -> Completion:
        path, body = self._body(request, request.params, 1)
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
        events, ttft, total = await self._client.post_stream(path, body)
        pieces: list[str] = []
        finish: str | None = None
        content_events = 0
        usage: dict[str, Any] = {}
        for event in events:
            if event.get("usage"):
                usage = event["usage"]
            for choice in event.get("choices") or []:
                piece = choice.get("text") if "text" in choice else (choice.get("delta") or {}).get("content")
                if piece:
                    pieces.append(piece)
                    content_events += 1
                finish = choice.get("finish_reason") or finish
        tokens_out = int(usage.get("completion_tokens") or content_events)
        tpot = (total - ttft) / (tokens_out - 1) if ttft is not None and tokens_out > 1 else None
        return Completion(
            texts=("".join(pieces),), finish_reason=finish,
            usage=Usage(tokens_in=int(usage.get("prompt_tokens") or 0), tokens_out=tokens_out,
                        latency_s=total, ttft_s=ttft, tpot_s=tpot),
        )

    # --- log-likelihood --------------------------------------------------------------

    async def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]:
        """log P(continuation | context) per request from echoed prompt log-probs; a server
        that cannot give them right raises `PermanentModelError` (reason "unsupported")."""
        return await self._loop.run_async(self._loglikelihood_all(requests))

    async def _loglikelihood_all(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]:
        if not self.settings.completions:
            raise PermanentModelError(
                f"the server at {self.base_url} is configured as chat-only (completions=false): it cannot score "
                "log-likelihoods", reason="unsupported", hint="use a generation task")
        await self._ensure_probed()
        if self._loglikelihood_refusal is not None:
            raise PermanentModelError(self._loglikelihood_refusal, reason="unsupported",
                                      hint="use the in-process adapter (llamacpp:PATH.gguf), or a server with "
                                           "aligned echo log-probs")
        return await self._gather([self._score_one(r) for r in requests])

    async def loglikelihood_rolling(self, requests: Sequence[LoglikelihoodRolling]) -> list[RollingLoglikelihoodResult]:
        """log P(text) per request from one echo of the whole text (see `score_echo_text`).
        Not windowed: a text longer than the server's context fails as its request does. A
        server that adds no BOS cannot score a text's first token: those requests fail (data)."""
        return await self._loop.run_async(self._rolling_all(requests))

    async def _rolling_all(self, requests: Sequence[LoglikelihoodRolling]) -> list[RollingLoglikelihoodResult]:
        await self._loglikelihood_all([])  # the same refusals as log-likelihood requests
        if self._rolling_refusal is not None:
            raise PermanentModelError(self._rolling_refusal, reason="unsupported",
                                      hint="use an in-process adapter (hf:, gguf:, llamacpp:) for perplexity")
        return await self._gather([self._score_text(r) for r in requests])

    async def _score_text(self, request: LoglikelihoodRolling) -> RollingLoglikelihoodResult:
        if not request.text:
            return RollingLoglikelihoodResult(0.0, 0)
        began = time.perf_counter()
        try:
            data = await self._client.post_json("/completions", self._echo_body(request.text, 1))
            score = score_echo_text((data.get("choices") or [{}])[0], request.text)
        except RequestFailed as exc:
            permanent = self._permanent(exc)
            if permanent is not None:
                raise permanent from None
            return RollingLoglikelihoodResult(float("nan"), 0, error=str(exc))
        except EchoError as exc:
            return RollingLoglikelihoodResult(float("nan"), 0, error=str(exc))
        usage = data.get("usage") or {}
        return RollingLoglikelihoodResult(score.logprob, score.n_tokens, Usage(
            tokens_in=int(usage.get("prompt_tokens") or 0), latency_s=time.perf_counter() - began))

    def _echo_body(self, prompt: str, top_k: int) -> dict[str, Any]:
        return {**self.extra_body, "model": self.model_name, "prompt": prompt, "max_tokens": 1, "temperature": 0.0,
                "echo": True, "logprobs": top_k}

    async def _ensure_probed(self) -> None:
        if self._probe_lock is None:
            self._probe_lock = asyncio.Lock()
        async with self._probe_lock:
            if not self._probed:
                await self._probe()
                self._probed = True

    async def _probe(self) -> None:
        try:
            gen = await self._client.post_json("/completions", {
                **self.extra_body, "model": self.model_name, "prompt": _PROBE_PROMPT, "max_tokens": 1, "temperature": 0.0, "logprobs": 1,
            })
            generated = (gen.get("choices") or [{}])[0]
            echo = await self._client.post_json("/completions", self._echo_body(_PROBE_PROMPT + (generated.get("text") or ""), 5))
            alignment = probe_alignment(generated, (echo.get("choices") or [{}])[0], _PROBE_PROMPT)
        except RequestFailed as exc:
            permanent = self._permanent(exc)
            if permanent is not None and permanent.reason in ("auth", "unknown_model"):
                raise permanent from None
            self._loglikelihood_refusal = (
                f"the server at {self.base_url} cannot score log-likelihoods ({exc}); it needs /completions "
                "with echo and logprobs. Generation tasks still run."
            )
            return
        except EchoError as exc:
            self._loglikelihood_refusal = (
                f"the server at {self.base_url} cannot score log-likelihoods ({exc}); it needs /completions "
                "with echo and logprobs. Generation tasks still run."
            )
            return
        if alignment is Alignment.SHIFTED:
            self._loglikelihood_refusal = (
                f"the server at {self.base_url} returns echo log-probs shifted by one token (llama-cpp-python does "
                "this for models whose tokenizer adds no BOS, such as SmolLM2): each value is conditioned on its "
                "own token. The right values survive only in top-K lists keyed by token text, where look-alike "
                "tokens overwrite each other, so they cannot be recovered reliably; loglikelihood requests are "
                "refused. Use the in-process adapter (llamacpp:PATH.gguf), or a server with aligned echo "
                "log-probs (vLLM, or llama.cpp with a model whose tokenizer adds BOS)."
            )
        elif alignment is None:
            self._loglikelihood_refusal = (
                f"the server at {self.base_url} returns echo log-probs that match neither its own generation "
                "log-probs nor the known one-token shift, so they cannot be trusted; refusing loglikelihood requests"
            )
        self._alignment = alignment
        if alignment is Alignment.ALIGNED:
            try:  # a whole text needs the first token's log-prob: only a server that echoes a BOS gives it
                score_echo_text((echo.get("choices") or [{}])[0], _PROBE_PROMPT)
            except EchoError as exc:
                self._rolling_refusal = (
                    f"the server at {self.base_url} cannot score whole texts (perplexity): {exc}")

    async def _score_one(self, request: Loglikelihood) -> LoglikelihoodResult:
        if not request.context:
            return _failed("an empty context cannot be scored over the echo API (the first token has no log-prob)")
        began = time.perf_counter()
        try:
            data = await self._client.post_json("/completions", self._echo_body(request.context + request.continuation, 1))
            choice = (data.get("choices") or [{}])[0]
            score = score_echo(choice, request.context, request.continuation)
        except RequestFailed as exc:
            permanent = self._permanent(exc)
            if permanent is not None:
                raise permanent from None
            return _failed(str(exc))
        except EchoError as exc:
            return _failed(str(exc))
        usage = data.get("usage") or {}
        return LoglikelihoodResult(
            logprob=score.logprob, is_greedy=score.is_greedy, n_tokens=score.n_tokens,
            usage=Usage(tokens_in=int(usage.get("prompt_tokens") or 0), latency_s=time.perf_counter() - began),
        )


def _failed(message: str) -> LoglikelihoodResult:
    return LoglikelihoodResult(logprob=float("nan"), is_greedy=False, n_tokens=0, error=message)


def _choice_text(choice: dict[str, Any]) -> str:
    if "text" in choice:
        return str(choice.get("text") or "")
    return str((choice.get("message") or {}).get("content") or "")


@register_adapter("openai", "an OpenAI-compatible server: openai:MODEL@http://host:port/v1", settings=OpenAISettings)
def _build(rest: str, options: ModelOptions, progress: ProgressCallback) -> Any:
    if "@" in rest:  # MODEL@URL1,URL2 or MODEL@endpoints.yaml: a pool of servers (assay.models.openai.pool)
        from assay.models.openai.pool import EndpointPool, pool_spec_from

        name, _, target = rest.rpartition("@")
        pool = pool_spec_from(target)
        if pool is not None:
            return EndpointPool(name, pool, parse_openai_settings(options.extra), progress)
    model, url = parse_spec(rest)
    return OpenAIModel(model, url, parse_openai_settings(options.extra), progress)
