"""The in-process `llamacpp:` adapter on the bundled GGUFs: its own logits, shared prefixes,
agreement with the transformers adapter on the same file, generation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assay.core.messages import ChatMessage
from assay.core.requests import Generate, GenerationParams, Loglikelihood
from assay.engine.prompts import plan_task
from assay.errors import PermanentModelError
from assay.tasks.resolve import resolve_tasks

pytestmark = pytest.mark.slow

OPTIONS = [
    Loglikelihood("Question: Which animal says meow?\nAnswer:", " the cat"),
    Loglikelihood("Question: Which animal says meow?\nAnswer:", " the dog, mostly at night"),
    Loglikelihood("Question: Which animal says meow?\nAnswer:", " a small brown cow"),
    Loglikelihood("Question: Which animal says", " meow?"),
]


@pytest.mark.parametrize("fixture", ["smollm2_llamacpp", "gemma_llamacpp"])
def test_shared_prefix_scoring_equals_scoring_each_request_alone(fixture: str, request: pytest.FixtureRequest) -> None:
    model = request.getfixturevalue(fixture)
    together = model.loglikelihood(OPTIONS)
    alone = [model.loglikelihood([r])[0] for r in OPTIONS]
    for a, b in zip(together, alone):
        assert a.error is None and b.error is None
        assert a.n_tokens == b.n_tokens >= 1
        # llama.cpp's quantized kernels give slightly different numbers for different
        # batch shapes (seen: up to 0.06 nats over Gemma's 5-token option, i.e. ~0.012 per
        # token), so "equal" here means within 0.03 nats per token.
        assert a.logprob == pytest.approx(b.logprob, abs=0.03 * a.n_tokens)
    options = [r.logprob for r in together[:3]]
    assert options.index(max(options)) == [r.logprob for r in alone[:3]].index(max(r.logprob for r in alone[:3]))


def _mc_slice(suite: str, n: int) -> tuple[list[Loglikelihood], list[int]]:
    task = resolve_tasks([f"{suite}:n={n}"])[0]
    planned = plan_task(task, list(task.load()), seed=0)
    requests = [r for p in planned for r in p.requests if isinstance(r, Loglikelihood)]
    return requests, [len(p.requests) for p in planned]


def test_agrees_with_the_transformers_adapter_on_the_same_gguf(smollm2, smollm2_llamacpp) -> None:  # type: ignore[no-untyped-def]
    """Same SmolLM2 GGUF: llama.cpp runs the quantized weights, transformers their fp32
    de-quantization, so values differ a little (MODELS.md: ~0.1-0.2 nats per option);
    the stated tolerance is a mean below 0.3 nats and the predicted option the same on at
    least 90% of a 40-item slice of logic-mc (97.5% over 200 items; on arith-mc, whose
    digit options are near-ties for this model, 90.5% — benchmarks/cross_backend.py)."""
    requests, sizes = _mc_slice("logic-mc", 40)
    cpp = np.array([r.logprob for r in smollm2_llamacpp.loglikelihood(requests)])
    hf = np.array([r.logprob for r in smollm2.loglikelihood(requests)])
    assert np.isfinite(cpp).all() and np.isfinite(hf).all()
    assert float(np.mean(np.abs(cpp - hf))) < 0.3
    agree, at = 0, 0
    for k in sizes:
        agree += int(np.argmax(cpp[at: at + k]) == np.argmax(hf[at: at + k]))
        at += k
    assert agree / len(sizes) >= 0.9


def test_generation_greedy_chat_and_n_samples(smollm2_llamacpp) -> None:  # type: ignore[no-untyped-def]
    greedy = Generate(prompt="The capital of France is", params=GenerationParams(max_tokens=6))
    chat = Generate(messages=(ChatMessage("user", "What is the capital of France?"),), params=GenerationParams(max_tokens=12))
    sampled = Generate(prompt="Once upon a time", params=GenerationParams(max_tokens=6, temperature=1.0, n=3, seed=5))
    first = smollm2_llamacpp.generate([greedy, chat, sampled])
    again = smollm2_llamacpp.generate([greedy, sampled])
    assert all(c.error is None for c in first)
    assert first[0].text.startswith(" Paris") and first[0].text == again[0].text
    assert first[1].text.strip() and first[1].usage.tokens_in > 20  # the chat template's system turn is there
    assert len(first[2].texts) == 3 and len(set(first[2].texts)) > 1
    assert first[2].texts == again[1].texts  # seeded: repeatable


def test_a_request_longer_than_n_ctx_is_a_permanent_error(smollm2_llamacpp) -> None:  # type: ignore[no-untyped-def]
    """Every later request of the run would overflow alike, so it stops the run (PermanentModelError)
    before any token is decoded; the model still answers what fits afterwards."""
    too_long = Loglikelihood("word " * 3000, " end")
    with pytest.raises(PermanentModelError, match="2048-token context") as caught:
        smollm2_llamacpp.loglikelihood([OPTIONS[0], too_long])
    assert caught.value.reason == "context_length" and "n_ctx" in str(caught.value)
    with pytest.raises(PermanentModelError) as caught:
        smollm2_llamacpp.generate([Generate(prompt="word " * 3000, params=GenerationParams(max_tokens=4))])
    assert caught.value.reason == "context_length"
    [ok] = smollm2_llamacpp.loglikelihood([OPTIONS[0]])
    assert ok.error is None and math.isfinite(ok.logprob)
