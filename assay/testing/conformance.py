"""Conformance checks a model adapter or scorer runs in its own tests: `check_model`, `check_scorer`.

As scikit-learn's `check_estimator` does for estimators, each function exercises the protocol
the engine relies on and raises `AssertionError` naming the check that failed, e.g.

    check_model: loglikelihood_in_order: 'my-model': the results of the reversed batch are not
    the batch's results reversed (request 0: -3.2 vs -7.9)

A third-party adapter's test is one line: `check_model(MyModel(...))`. Both the batch protocol
(`loglikelihood(list) -> list`) and the async one (`async def loglikelihood(list)`) are
accepted; an async model is driven on one event loop of its own, in a fresh thread when the
caller is already inside a running loop.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Sequence

from assay.engine.run import run_sync
from assay.core.messages import ChatMessage
from assay.core.requests import Generate, GenerationParams, Loglikelihood, LoglikelihoodRolling
from assay.core.responses import ChoiceOutput, Completion, LoglikelihoodResult, Output, RollingLoglikelihoodResult
from assay.core.sample import Sample
from assay.core.score import Score
from assay.models.base import Capabilities, ModelInfo

__all__ = ["check_model", "check_scorer"]


# Different lengths and likelihoods, so a reordered batch shows.
_LOGLIKELIHOOD = (
    Loglikelihood("The capital of France is", " Paris"),
    Loglikelihood("1, 2, 3, 4,", " 5"),
    Loglikelihood("The quick brown fox jumps over the", " lazy dog"),
    Loglikelihood("Question: What colour is the sky on a clear day?\nAnswer:", " purple elephants dancing"),
)
_ROLLING = (
    LoglikelihoodRolling("We the People of the United States, in Order to form a more perfect Union,"),
    LoglikelihoodRolling("1, 2, 3, 4, 5"),
    LoglikelihoodRolling("Hello"),
)
_GREEDY = GenerationParams(max_tokens=12, temperature=0.0)
_PROMPTS = (
    "Count from one to ten: one, two, three,",
    "The days of the week are Monday, Tuesday,",
    "Q: What is 2 + 3?\nA:",
)
# Logits computed in batches differ from single-request ones in the last digits (padding,
# kernel choice); a reordered batch differs by far more.
_RTOL, _ATOL = 1e-3, 2e-2


class _Failed(AssertionError):
    pass


def _check(ok: bool, check: str, name: str, detail: str) -> None:
    if not ok:
        raise _Failed(f"check_model: {check}: {name!r}: {detail}")


@dataclass
class _Caller:
    """Calls a batch or an async model's request methods the same way (from a coroutine)."""

    model: Any
    name: str

    async def __call__(self, method: str, requests: Sequence[Any]) -> list[Any]:
        fn = getattr(self.model, method)
        if inspect.iscoroutinefunction(fn):
            result = await fn(list(requests))
        else:
            result = fn(list(requests))
        _check(isinstance(result, list), f"{method}_returns_list", self.name,
               f"{method} returned {type(result).__name__}, not a list")
        if not requests:
            _check(result == [], f"{method}_empty", self.name, f"an empty list of requests gave {result!r}, not []")
        _check(len(result) == len(requests), f"{method}_one_response_per_request", self.name,
               f"{len(requests)} requests gave {len(result)} responses")
        return result


def check_model(model: Any) -> None:
    """Exercise `model` on a handful of requests; raise `AssertionError` naming the first failed check.

    Checks: `info` and `capabilities` are typed and `info.cache_key` is stable; an empty list
    gives an empty list; one response per request, in order (a reversed batch gives reversed
    results), of the right type; log-likelihoods finite and <= 0, `is_greedy` a bool,
    `n_tokens >= 1`; greedy generation deterministic; stop sequences cut the text; chat
    requests answered when `capabilities.chat`; whole-text log-likelihoods (finite, <= 0, in
    order, an empty text 0 over 0 tokens) when `capabilities.loglikelihood_rolling`; request
    kinds the model says it cannot do are not called.
    """
    try:
        run_sync(_check_model(model))  # works inside a running event loop too
    except _Failed as exc:
        raise AssertionError(str(exc)) from None


async def _check_model(model: Any) -> None:
    info = getattr(model, "info", None)
    _check(isinstance(info, ModelInfo), "info", repr(model), f"`info` must be a ModelInfo, got {type(info).__name__}")
    name = info.name
    _check(isinstance(name, str) and bool(name), "info", repr(model), "`info.name` must be a non-empty string")
    key = info.cache_key
    _check(isinstance(key, str) and bool(key) and key == info.cache_key, "cache_key_stable", name,
           "`info.cache_key` must be the same non-empty string each time it is read")
    caps = getattr(model, "capabilities", None)
    _check(isinstance(caps, Capabilities), "capabilities", name,
           f"`capabilities` must be a Capabilities, got {type(caps).__name__}")
    _check(caps.loglikelihood or caps.generate, "capabilities", name,
           "a model must support log-likelihood scoring or generation")
    _check(callable(getattr(model, "close", None)), "close", name, "the model needs a `close()` method")
    call = _Caller(model, name)
    if caps.loglikelihood:
        await _check_loglikelihood(call)
    if caps.generate:
        await _check_generate(call, caps)
    if caps.loglikelihood_rolling:
        _check(callable(getattr(model, "loglikelihood_rolling", None)), "loglikelihood_rolling", name,
               "capabilities.loglikelihood_rolling is set but the model has no `loglikelihood_rolling` method")
        await _check_rolling(call)
    _check(model.info.cache_key == key, "cache_key_stable", name,
           "`info.cache_key` changed while the model answered requests")


def _check_loglikelihood_result(r: Any, i: int, name: str) -> None:
    _check(isinstance(r, LoglikelihoodResult), "loglikelihood_types", name,
           f"response {i} is a {type(r).__name__}, not a LoglikelihoodResult")
    _check(r.error is None, "loglikelihood_no_error", name, f"request {i} failed: {r.error}")
    _check(isinstance(r.logprob, float) and math.isfinite(r.logprob) and r.logprob <= 0.0, "logprob_range", name,
           f"request {i}: logprob must be a finite float <= 0, got {r.logprob!r}")
    _check(isinstance(r.is_greedy, bool), "is_greedy_bool", name,
           f"request {i}: is_greedy must be a bool, got {type(r.is_greedy).__name__}")
    _check(isinstance(r.n_tokens, int) and r.n_tokens >= 1, "n_tokens", name,
           f"request {i}: n_tokens must be an int >= 1, got {r.n_tokens!r}")


async def _check_loglikelihood(call: _Caller) -> None:
    name = call.name
    await call("loglikelihood", [])
    batch = list(_LOGLIKELIHOOD)
    results = await call("loglikelihood", batch)
    for i, r in enumerate(results):
        _check_loglikelihood_result(r, i, name)
    reverse = (await call("loglikelihood", batch[::-1]))[::-1]
    single = [(await call("loglikelihood", [r]))[0] for r in batch]
    for label, other in (("reversed batch", reverse), ("one-request batches", single)):
        for i, (a, b) in enumerate(zip(results, other)):
            _check_loglikelihood_result(b, i, name)
            _check(math.isclose(a.logprob, b.logprob, rel_tol=_RTOL, abs_tol=_ATOL) and a.n_tokens == b.n_tokens,
                   "loglikelihood_in_order", name,
                   f"request {i} ({batch[i].continuation!r}) scored {a.logprob:.4g} ({a.n_tokens} tokens) in the batch "
                   f"but {b.logprob:.4g} ({b.n_tokens} tokens) in {label}: responses must come back one per "
                   "request, in order")


def _check_rolling_result(r: Any, i: int, name: str) -> None:
    _check(isinstance(r, RollingLoglikelihoodResult), "loglikelihood_rolling_types", name,
           f"response {i} is a {type(r).__name__}, not a RollingLoglikelihoodResult")
    _check(r.error is None, "loglikelihood_rolling_no_error", name, f"request {i} failed: {r.error}")
    _check(isinstance(r.logprob, float) and math.isfinite(r.logprob) and r.logprob <= 0.0, "logprob_range", name,
           f"whole text {i}: logprob must be a finite float <= 0, got {r.logprob!r}")
    _check(isinstance(r.n_tokens, int) and r.n_tokens >= 1, "n_tokens", name,
           f"whole text {i}: n_tokens must be an int >= 1, got {r.n_tokens!r}")


async def _check_rolling(call: _Caller) -> None:
    name = call.name
    await call("loglikelihood_rolling", [])
    batch = list(_ROLLING)
    results = await call("loglikelihood_rolling", batch)
    for i, r in enumerate(results):
        _check_rolling_result(r, i, name)
    reverse = (await call("loglikelihood_rolling", batch[::-1]))[::-1]
    for i, (a, b) in enumerate(zip(results, reverse)):
        _check_rolling_result(b, i, name)
        _check(math.isclose(a.logprob, b.logprob, rel_tol=_RTOL, abs_tol=_ATOL) and a.n_tokens == b.n_tokens,
               "loglikelihood_rolling_in_order", name,
               f"whole text {i} scored {a.logprob:.4g} ({a.n_tokens} tokens) in the batch but {b.logprob:.4g} "
               f"({b.n_tokens} tokens) in the reversed batch: responses must come back one per request, in order")
    (empty,) = await call("loglikelihood_rolling", [LoglikelihoodRolling("")])
    _check(isinstance(empty, RollingLoglikelihoodResult) and empty.error is None and empty.logprob == 0.0
           and empty.n_tokens == 0, "loglikelihood_rolling_empty", name,
           f"an empty text must score 0.0 over 0 tokens, got {empty!r}")


def _completion_text(c: Any, i: int, name: str, n: int = 1) -> str:
    _check(isinstance(c, Completion), "generate_types", name, f"response {i} is a {type(c).__name__}, not a Completion")
    _check(c.error is None, "generate_no_error", name, f"request {i} failed: {c.error}")
    _check(isinstance(c.texts, tuple) and len(c.texts) == n and all(isinstance(t, str) for t in c.texts),
           "generate_types", name, f"response {i}: texts must be a tuple of {n} str, got {c.texts!r}")
    return c.texts[0]


async def _check_generate(call: _Caller, caps: Capabilities) -> None:
    name = call.name
    await call("generate", [])
    batch = [Generate(prompt=p, params=_GREEDY) for p in _PROMPTS]
    texts = [_completion_text(c, i, name) for i, c in enumerate(await call("generate", batch))]
    again = [_completion_text(c, i, name) for i, c in enumerate(await call("generate", batch))]
    for i, (a, b) in enumerate(zip(texts, again)):
        _check(a == b, "greedy_deterministic", name,
               f"request {i}: greedy generation (temperature 0) gave {a!r}, then {b!r}")
    reverse = [_completion_text(c, i, name) for i, c in enumerate(await call("generate", batch[::-1]))][::-1]
    for i, (a, b) in enumerate(zip(texts, reverse)):
        _check(a == b, "generate_in_order", name,
               f"request {i}: {a!r} in the batch but {b!r} in the reversed batch: responses must come back one "
               "per request, in order")
    await _check_stop(call, batch, texts)
    if caps.chat:
        chat = Generate(messages=(ChatMessage(role="user", content="Say hello."),), params=_GREEDY)
        _completion_text((await call("generate", [chat]))[0], 0, name)


async def _check_stop(call: _Caller, batch: list[Generate], texts: list[str]) -> None:
    """A stop sequence taken from the middle of each greedy text must cut the text before it."""
    for i, (request, text) in enumerate(zip(batch, texts)):
        stripped = text.strip()
        if len(stripped) < 2:
            continue
        stop = stripped[len(stripped) // 2:][:2].strip() or stripped[-1]
        params = GenerationParams(max_tokens=_GREEDY.max_tokens, temperature=0.0, stop=(stop,))
        cut = _completion_text((await call("generate", [Generate(prompt=request.prompt, params=params)]))[0], i,
                               call.name)
        _check(stop not in cut, "stop_sequences", call.name,
               f"request {i}: the stop sequence {stop!r} appears in the output {cut!r} (the same request without "
               f"it gave {text!r})")
        _check(len(cut) < len(text), "stop_sequences", call.name,
               f"request {i}: with the stop sequence {stop!r} the output {cut!r} is not shorter than {text!r}")


def check_scorer(scorer: Any, sample: Sample, output: Output, wrong_output: Output | None = None) -> None:
    """Check a scorer on one sample, its right `output`, and a wrong one (built from the sample when
    not given); raise `AssertionError` naming the failed check.

    Checks: `name` is a non-empty string and `metrics` a non-empty tuple of distinct names;
    each call returns a `Score` whose values are exactly the declared metrics, each a finite
    float in [0, 1]; a second call on the same input gives the same values and extraction. A
    scorer with corpus-level `ratio_metrics` (perplexity) also keeps each ratio's numerator
    and denominator, and its values need only be finite.
    """
    label = repr(getattr(scorer, "name", scorer))

    def ok(cond: bool, check: str, detail: str) -> None:
        if not cond:
            raise AssertionError(f"check_scorer: {check}: {label}: {detail}")

    name = getattr(scorer, "name", None)
    ok(isinstance(name, str) and bool(name), "name", "the scorer needs a non-empty string `name`")
    metrics = getattr(scorer, "metrics", None)
    ok(isinstance(metrics, tuple) and bool(metrics) and all(isinstance(m, str) and m for m in metrics),
       "metrics_declared", f"`metrics` must be a non-empty tuple of names, got {metrics!r}")
    ok(len(set(metrics)) == len(metrics), "metrics_declared", f"`metrics` names a metric twice: {metrics!r}")
    ok(callable(scorer), "callable", "a scorer is called as scorer(sample, output)")
    ratios = dict(getattr(scorer, "ratio_metrics", None) or {})
    ok(set(ratios) <= set(metrics), "ratio_metrics_declared",
       f"`ratio_metrics` names {sorted(set(ratios) - set(metrics))}, which `metrics` does not")
    expected = set(metrics) | {key for r in ratios.values() for key in (r.numerator, r.denominator)}
    wrong = wrong_output if wrong_output is not None else _wrong_output(sample, output)
    for which, out in (("right", output), ("wrong", wrong)):
        first = scorer(sample, out)
        ok(isinstance(first, Score), "returns_score", f"the {which} output gave a {type(first).__name__}, not a Score")
        ok(set(first.values) == expected, "metrics_produced",
           f"declares {sorted(expected)} but the {which} output produced {sorted(first.values)}")
        for metric, value in first.values.items():
            if metric in expected - set(metrics) or metric in ratios:
                ok(isinstance(value, float) and math.isfinite(value), "values_finite",
                   f"{metric} = {value!r} for the {which} output; values must be finite floats")
                continue
            ok(isinstance(value, float) and math.isfinite(value) and 0.0 <= value <= 1.0, "values_in_unit_range",
               f"{metric} = {value!r} for the {which} output; values must be finite floats in [0, 1]")
        second = scorer(sample, out)
        ok(dict(second.values) == dict(first.values) and second.extracted == first.extracted, "deterministic",
           f"the {which} output scored {dict(first.values)} (extracted {first.extracted!r}), then "
           f"{dict(second.values)} (extracted {second.extracted!r})")


def _wrong_output(sample: Sample, output: Output) -> Output:
    """An output that a scorer should mark wrong: the target option least likely, or unrelated text."""
    if isinstance(output, RollingLoglikelihoodResult):
        return RollingLoglikelihoodResult(output.logprob * 2.0 - 10.0, output.n_tokens)
    if isinstance(output, ChoiceOutput):
        n = len(output.results)
        target = sample.target if isinstance(sample.target, int) and not isinstance(sample.target, bool) else 0
        return ChoiceOutput(tuple(
            LoglikelihoodResult(-50.0 if i == target % max(n, 1) else -1.0 - i, False, 1) for i in range(n)
        ))
    return Completion(texts=("zzz unrelated qqq",), finish_reason="stop")
