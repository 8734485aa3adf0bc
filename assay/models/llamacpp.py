"""The `llamacpp:` adapter: a GGUF run in-process by llama-cpp-python (extra `llamacpp`).

Spec: `llamacpp:/path/model.gguf`, or `llamacpp:ALIAS` for a bundled model
(`llamacpp:smollm2`). Settings (`LlamaCppSettings`, `--model-arg`): `n_ctx` (2048),
`n_threads` (all cores), `n_batch` (512), `chat_format` (llama-cpp-python's, e.g.
`chatml-function-calling`; default the GGUF's own template). A request longer than `n_ctx`
raises `PermanentModelError` (reason "context_length").

A chat request with tools is rendered with them by the chat template; the answer's tool
calls come back as `Completion.tool_calls`, read from the template's own syntax
(`assay.models.tool_calls`) or, under a function-calling `chat_format`, from the structured
calls llama-cpp-python returns.

Log-likelihood is read from the model's own logits, not from the echo path of
`create_completion` (slow: it sorts the whole vocabulary per token, and for BOS-less
tokenizers it pairs each token with the wrong distribution). The context's tokens stay in
the KV cache and a following request that shares them decodes only what differs, so the
options of one item cost one context pass; logits are requested only at the positions a
score reads, so llama.cpp applies the output head there alone.

Token boundaries follow the hf adapter (`hf.tokens.TokenSetup`), so the same GGUF scores
the same tokens on both backends.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from pydantic import Field

from assay.core.requests import Generate, GenerationParams, Loglikelihood, LoglikelihoodRolling
from assay.core.responses import Completion, LoglikelihoodResult, RollingLoglikelihoodResult, Usage
from assay.errors import ConfigError, MissingDependencyError, ModelError
from assay.models.base import Capabilities, ModelInfo, ModelOptions, ProgressCallback, context_length_error
from assay.models.files import file_sha256
from assay.models.hf.tokens import TokenSetup
from assay.models.registry import aliases, register_adapter
from assay.models.settings import AdapterSettings, parse_settings
from assay.models.tool_calls import read_tool_calls, template_messages
from assay.models.windows import rolling_windows


class LlamaCppSettings(AdapterSettings):
    """Settings of `llamacpp:` specs."""

    n_ctx: int = Field(2048, ge=16, description="context window in tokens (prompt and answer together)")
    n_batch: int = Field(512, ge=1, description="tokens per decode call")
    n_threads: int | None = Field(None, ge=1, description="CPU threads (default: all cores)")
    chat_format: str | None = Field(None, description=(
        "llama-cpp-python chat format, e.g. chatml-function-calling (tool calls generated under a grammar and "
        "returned as tool_calls); default: the GGUF's own chat template, whose tool-call syntax is read back"))


_CONTEXT_HINT = ("shorten the prompts (e.g. fewer few-shot examples) or raise the window with "
                 "--model-arg n_ctx=4096 (up to the model's trained context)")


class _Encoded:
    def __init__(self, ids: list[int]) -> None:
        self.input_ids = ids


class LlamaTokenizerView:
    """llama.cpp's tokenizer seen through the few transformers-tokenizer attributes that
    `TokenSetup` reads, so both adapters split context and continuation alike."""

    def __init__(self, llm: Any) -> None:
        self._llm = llm
        bos, eos = llm.token_bos(), llm.token_eos()
        self.bos_token_id = bos if bos >= 0 else None
        self.eos_token_id = eos if eos >= 0 else None
        self.pad_token_id = None

    def __call__(self, text: str, add_special_tokens: bool = True) -> _Encoded:
        ids = self._llm.tokenize(text.encode("utf-8"), add_bos=add_special_tokens, special=False) if text else []
        return _Encoded([int(i) for i in ids])


def _log_softmax_at(row: np.ndarray, target: int) -> tuple[float, bool]:
    top = float(row.max())
    log_z = top + float(np.log(np.exp(row - top, dtype=np.float64).sum()))
    return float(row[target]) - log_z, int(row.argmax()) == target


class LlamaCppModel:
    """A GGUF in llama-cpp-python behind the `Model` protocol."""

    def __init__(self, llm: Any, path: Path, info: ModelInfo, chat_format: str | None = None) -> None:
        self.llm = llm
        self.chat_format = chat_format
        self.path = path
        self.info = info
        self.capabilities = Capabilities(loglikelihood=True, generate=True, chat=info.has_chat_template,
                                         loglikelihood_rolling=True)
        self.tokens = TokenSetup.probe(LlamaTokenizerView(llm))
        self.n_ctx = int(llm.n_ctx())
        self.n_batch = int(llm.n_batch)
        self.n_vocab = int(llm.n_vocab())
        trained = int(llm._model.n_ctx_train()) if hasattr(llm, "_model") else 0
        self.rolling_max_length = trained if trained > 0 else self.n_ctx
        """Window of whole-text scoring: the model's trained context (as the hf adapter's
        `max_position_embeddings`), never `n_ctx`, so an answer depends only on the model and
        the text (its cache key); a window larger than `n_ctx` is refused, not cut."""
        self._token_times: list[float] = []
        self._time_tokens(llm)

    def _time_tokens(self, llm: Any) -> None:
        """Record when each output token is sampled, for TTFT and TPOT. llama-cpp-python's
        `stream=True` would give the same timestamps but drops the usage counts (and holds
        back text around stop strings), so the token stream is read here instead: its
        generator calls `sample` once per token, right after the prompt or the previous
        token is evaluated. The answer and its usage are exactly the non-streamed ones."""
        sample = getattr(llm, "sample", None)
        if sample is None:
            return

        def timed_sample(*args: Any, **kwargs: Any) -> Any:
            token = sample(*args, **kwargs)
            self._token_times.append(time.perf_counter())
            return token

        llm.sample = timed_sample

    # --- log-likelihood ----------------------------------------------------------------

    def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]:
        """log P(continuation | context) per request, in input order; requests sharing a
        context reuse its KV cache."""
        from llama_cpp._internals import LlamaBatch

        encoded = [self.tokens.encode_pair(r.context, r.continuation) for r in requests]
        for head, cont in encoded:
            if len(head) + len(cont) > self.n_ctx:
                raise context_length_error(self.info.name, len(head) + len(cont), self.n_ctx,
                                           "a log-likelihood request (context and continuation)", _CONTEXT_HINT)
        order = sorted(range(len(requests)), key=lambda i: encoded[i][0] + encoded[i][1])
        batch = LlamaBatch(n_tokens=self.n_batch, embd=0, n_seq_max=1)
        ctx = self.llm._ctx
        ctx.kv_cache_seq_rm(-1, 0, -1)
        cached: list[int] = []
        out: list[LoglikelihoodResult | None] = [None] * len(requests)
        try:
            for i in order:
                head, cont = encoded[i]
                began = time.perf_counter()
                try:
                    logprob, greedy, cached = self._score(batch, ctx, head, cont, cached)
                except (RuntimeError, ValueError) as exc:
                    ctx.kv_cache_seq_rm(-1, 0, -1)
                    cached = []
                    out[i] = LoglikelihoodResult(float("nan"), False, 0, error=f"{type(exc).__name__}: {exc}")
                    continue
                out[i] = LoglikelihoodResult(logprob, greedy, len(cont),
                                             Usage(tokens_in=len(head) + len(cont), latency_s=time.perf_counter() - began))
        finally:
            ctx.kv_cache_seq_rm(-1, 0, -1)
            self.llm.reset()  # generation must not trust input_ids after this
            batch.close()
        return [r for r in out if r is not None]

    def loglikelihood_rolling(self, requests: Sequence[LoglikelihoodRolling]) -> list[RollingLoglikelihoodResult]:
        """log P(text) per request, in input order: lm-eval's rolling windows of the trained
        context (see `assay.models.windows`), each scored like a log-likelihood request."""
        from llama_cpp._internals import LlamaBatch

        windows = []
        for request in requests:
            ids = self.tokens.encode(request.text, add_bos=False)
            windows.append(rolling_windows(ids, self.tokens.prefix_id, self.rolling_max_length))
            for w in windows[-1]:
                if len(w.inputs) > self.n_ctx:
                    raise context_length_error(self.info.name, len(w.inputs), self.n_ctx,
                                               "a whole-text (perplexity) window", _CONTEXT_HINT)
        batch = LlamaBatch(n_tokens=self.n_batch, embd=0, n_seq_max=1)
        ctx = self.llm._ctx
        ctx.kv_cache_seq_rm(-1, 0, -1)
        cached: list[int] = []
        out: list[RollingLoglikelihoodResult] = []
        try:
            for request_windows in windows:
                began = time.perf_counter()
                total, n, read = 0.0, 0, 0
                try:
                    for w in request_windows:
                        logprob, _, cached = self._score(batch, ctx, list(w.context), list(w.targets), cached)
                        total, n, read = total + logprob, n + len(w.targets), read + len(w.inputs)
                except (RuntimeError, ValueError) as exc:
                    ctx.kv_cache_seq_rm(-1, 0, -1)
                    cached = []
                    out.append(RollingLoglikelihoodResult(float("nan"), 0, error=f"{type(exc).__name__}: {exc}"))
                    continue
                out.append(RollingLoglikelihoodResult(total, n, Usage(tokens_in=read,
                                                                      latency_s=time.perf_counter() - began)))
        finally:
            ctx.kv_cache_seq_rm(-1, 0, -1)
            self.llm.reset()
            batch.close()
        return out

    def _score(self, batch: Any, ctx: Any, head: list[int], cont: list[int], cached: list[int]) -> tuple[float, bool, list[int]]:
        """(log-prob, greedy, the tokens now in the KV cache) for one request."""
        full = head + cont
        if not cont:
            return 0.0, True, cached
        first_read = len(head) - 1  # the logits at this position predict cont[0]
        common = 0
        for a, b in zip(cached, full):
            if a != b:
                break
            common += 1
        start = min(common, first_read)
        ctx.kv_cache_seq_rm(-1, start, -1)
        feed = full[start:-1]
        rows: dict[int, np.ndarray] = {}
        for offset in range(0, len(feed), self.n_batch):
            piece = feed[offset: offset + self.n_batch]
            batch.reset()
            b = batch.batch
            b.n_tokens = len(piece)
            for j, token in enumerate(piece):
                pos = start + offset + j
                b.token[j] = token
                b.pos[j] = pos
                b.seq_id[j][0] = 0
                b.n_seq_id[j] = 1
                b.logits[j] = pos >= first_read
            ctx.decode(batch)
            for j in range(len(piece)):
                pos = start + offset + j
                if pos >= first_read:
                    pointer = ctx.get_logits_ith(j)
                    rows[pos] = np.ctypeslib.as_array(pointer, shape=(self.n_vocab,)).copy()
        total, greedy = 0.0, True
        for k, token in enumerate(cont):
            lp, top = _log_softmax_at(rows[first_read + k], token)
            total += lp
            greedy = greedy and top
        return total, greedy, full[: start + len(feed)]

    # --- generation --------------------------------------------------------------------

    def generate(self, requests: Sequence[Generate]) -> list[Completion]:
        """One completion per request; `n > 1` runs n times with seeds seed, seed+1, …"""
        return [self._generate_one(r) for r in requests]

    def _generate_one(self, request: Generate) -> Completion:
        params = request.params
        texts: list[str] = []
        finish: str | None = None
        tokens_in = tokens_out = 0
        calls: tuple[tuple[str, str, str], ...] | None = None
        firsts: list[float] = []
        pots: list[float] = []
        began = time.perf_counter()
        try:
            for j in range(params.n):
                seed = (params.seed if params.seed is not None else 0) + j
                self._token_times.clear()
                started = time.perf_counter()
                data = self._call(request, params, seed)
                times = list(self._token_times)
                if times:
                    firsts.append(times[0] - started)
                    if len(times) > 1:
                        pots.append((times[-1] - times[0]) / (len(times) - 1))
                choice = data["choices"][0]
                text = choice.get("text") if "text" in choice else choice["message"].get("content") or ""
                if request.tools is not None and j == 0:
                    text, calls = self._tool_calls(choice["message"], text, json.loads(request.tools))
                texts.append(text)
                finish = finish or choice.get("finish_reason")
                usage = data.get("usage") or {}
                tokens_in += int(usage.get("prompt_tokens") or 0)
                tokens_out += int(usage.get("completion_tokens") or 0)
        except (RuntimeError, ValueError) as exc:
            if "exceed context window" in str(exc):  # llama-cpp-python: "Requested tokens (N) exceed context window of M"
                raise context_length_error(self.info.name, _requested_tokens(str(exc)), self.n_ctx, "a prompt",
                                           _CONTEXT_HINT) from None
            return Completion(texts=(), error=f"{type(exc).__name__}: {exc}")
        return Completion(tuple(texts), finish, Usage(
            tokens_in, tokens_out, time.perf_counter() - began,
            ttft_s=sum(firsts) / len(firsts) if firsts else None, tpot_s=sum(pots) / len(pots) if pots else None),
            tool_calls=calls or None)

    @staticmethod
    def _tool_calls(message: dict, text: str, tools: list[dict]) -> tuple[str, tuple[tuple[str, str, str], ...]]:
        """Native tool calls of one answer: structured ones from a chat handler that returns
        them (chatml-function-calling), else those written in the template's own syntax."""
        structured = message.get("tool_calls") or []
        if structured:
            return text, tuple((c.get("id") or f"call_{i}", c["function"]["name"], c["function"]["arguments"])
                               for i, c in enumerate(structured))
        return read_tool_calls(text, tools)

    def _call(self, request: Generate, params: GenerationParams, seed: int) -> dict[str, Any]:
        common = dict(max_tokens=params.max_tokens, temperature=params.temperature, top_p=params.top_p,
                      stop=list(params.stop) or None, seed=seed)
        if params.greedy:
            common.update(temperature=0.0, top_k=1)
        if request.messages is not None:
            messages = [m.to_dict() for m in request.messages]
            if request.tools is not None:  # rendered by the chat template (assay.agents); calls read back
                common["tools"] = json.loads(request.tools)
                if self.chat_format:
                    common["tool_choice"] = "auto"
                else:
                    messages = template_messages(messages)
            return self.llm.create_chat_completion(messages=messages, **common)
        return self.llm.create_completion(prompt=request.prompt, **common)

    def close(self) -> None:
        close = getattr(self.llm, "close", None)
        if close is not None:
            close()


def _requested_tokens(message: str) -> int:
    digits = message.split("(", 1)[-1].split(")", 1)[0]
    return int(digits) if digits.isdigit() else -1


def resolve_gguf(rest: str, progress: ProgressCallback) -> Path:
    """`rest` as a GGUF path; a bundled alias (smollm2, gemma3-270m) is resolved to its file."""
    known = aliases()
    if rest in known:
        spec = known[rest].spec_factory(progress)
        prefix, _, rest = spec.partition(":")
        if prefix != "gguf":
            raise ConfigError(f"alias '{rest}' is not a GGUF model", field="model")
    path = Path(rest).expanduser()
    if not path.is_file():
        raise ConfigError(f"no GGUF file at {path}", field="model", hint="llamacpp:/path/model.gguf or llamacpp:smollm2")
    return path


@register_adapter("llamacpp", "a GGUF in-process with llama-cpp-python: llamacpp:/path/model.gguf or llamacpp:ALIAS",
                  settings=LlamaCppSettings)
def _build(rest: str, options: ModelOptions, progress: ProgressCallback) -> LlamaCppModel:
    settings = parse_settings(LlamaCppSettings, options.extra, "llamacpp")
    if importlib.util.find_spec("llama_cpp") is None:
        raise MissingDependencyError("llama-cpp-python", "the llamacpp adapter", extra="llamacpp")
    from llama_cpp import Llama

    path = resolve_gguf(rest, progress)
    began = time.perf_counter()
    try:
        llm = Llama(
            model_path=str(path), n_ctx=settings.n_ctx, n_batch=settings.n_batch,
            n_threads=settings.n_threads or os.cpu_count() or 1, logits_all=False, verbose=False,
            **({"chat_format": settings.chat_format} if settings.chat_format else {}),
        )
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"llama.cpp could not load {path}: {exc}") from None
    sha = file_sha256(path)
    template = llm.metadata.get("tokenizer.chat_template")
    info = ModelInfo(
        name=f"llamacpp:{path.name}", adapter="llamacpp",
        identity={"gguf_sha256": sha, **({"chat_format": settings.chat_format} if settings.chat_format else {})},
        parameters=None, has_chat_template=bool(template),
        details={"path": str(path), "n_ctx": llm.n_ctx(), "load_seconds": round(time.perf_counter() - began, 2)},
    )
    return LlamaCppModel(llm, path, info, settings.chat_format)
