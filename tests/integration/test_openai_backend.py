"""The `openai:` adapter against a real llama.cpp server on 127.0.0.1 (SmolLM2 GGUF).

Echo scoring costs seconds per prompt on this server (it sorts the vocabulary per token in
Python), so the log-likelihood checks use a few short prompts.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assay.core.messages import ChatMessage
from assay.core.requests import Generate, GenerationParams, Loglikelihood
from assay.errors import ConfigError, ModelError, PermanentModelError
from assay.models import ModelOptions, load_model
from assay.models.openai.echo_logprobs import Alignment
from tests.support.aio import run

pytestmark = pytest.mark.slow

SHORT = [
    Loglikelihood("The capital of France is", " Paris"),
    Loglikelihood("The capital of France is", " London"),
    Loglikelihood("2 + 2 =", " 4"),
    Loglikelihood("The capital of France is ", "Paris, a city"),  # trailing space moves; multi-token
]
"""Short prompts: Gemma's echo path costs about half a second per prompt token here."""


@pytest.fixture(scope="module")
def api(llama_server):  # type: ignore[no-untyped-def]
    model = load_model(f"openai:smollm2@{llama_server.base_url}",
                       ModelOptions(extra={"concurrency": "2", "body.repeat_penalty": "1.0"}))
    yield model
    model.close()


def test_shifted_echo_logprobs_are_detected_and_refused_with_a_clear_error(api) -> None:  # type: ignore[no-untyped-def]
    """SmolLM2's tokenizer adds no BOS, so llama-cpp-python's echo log-probs are each
    conditioned on their own token; the start-up probe must see it and refuse."""
    with pytest.raises(PermanentModelError, match="shifted by one token") as caught:
        run(api.loglikelihood(SHORT[:1]))
    assert caught.value.reason == "unsupported"
    assert api.transport_stats()["echo_alignment"] == Alignment.SHIFTED.value
    capabilities = api.capabilities
    assert not capabilities.loglikelihood and capabilities.generate and capabilities.chat
    assert "shifted by one token" in (capabilities.reason or "")


def test_aligned_echo_logprobs_equal_the_same_weights_in_process(gemma_server, gemma_llamacpp) -> None:  # type: ignore[no-untyped-def]
    """Gemma's tokenizer adds BOS, so its echo log-probs are aligned; read over HTTP they
    must equal the in-process logits of the same GGUF."""
    model = load_model(f"openai:gemma@{gemma_server.base_url}")
    try:
        over_api = run(model.loglikelihood(SHORT))
        assert model.transport_stats()["echo_alignment"] == Alignment.ALIGNED.value
    finally:
        model.close()
    in_process = gemma_llamacpp.loglikelihood(SHORT)
    for a, b in zip(over_api, in_process):
        assert a.error is None, a.error
        assert a.n_tokens == b.n_tokens
        assert a.logprob == pytest.approx(b.logprob, abs=2e-3)
        assert a.is_greedy == b.is_greedy
    assert over_api[0].logprob > over_api[1].logprob  # Paris over London
    assert over_api[3].n_tokens >= 3


def test_empty_context_is_refused_per_request_not_silently_scored(gemma_server) -> None:  # type: ignore[no-untyped-def]
    model = load_model(f"openai:gemma@{gemma_server.base_url}")
    try:
        [result] = run(model.loglikelihood([Loglikelihood("", "Hello")]))
    finally:
        model.close()
    assert math.isnan(result.logprob) and "empty context" in (result.error or "")


def test_streamed_generation_records_ttft_and_time_per_token(api) -> None:  # type: ignore[no-untyped-def]
    prompt = Generate(prompt="The capital of France is", params=GenerationParams(max_tokens=8))
    chat = Generate(messages=(ChatMessage("user", "Say hello."),), params=GenerationParams(max_tokens=8))
    out = run(api.generate([prompt, chat]))
    for completion in out:
        assert completion.error is None and completion.text
        assert completion.finish_reason in ("length", "stop")
        assert completion.usage.ttft_s is not None and 0 < completion.usage.ttft_s <= completion.usage.latency_s
        assert completion.usage.tokens_out >= 1
    assert out[0].text.startswith(" Paris")
    assert out[0].usage.tpot_s is not None and out[0].usage.tpot_s > 0


def test_greedy_generation_matches_in_process_llamacpp(api, smollm2_llamacpp) -> None:  # type: ignore[no-untyped-def]
    request = Generate(prompt="Count: 1, 2, 3,", params=GenerationParams(max_tokens=10))
    [over_api] = run(api.generate([request]))
    [local] = smollm2_llamacpp.generate([request])
    assert over_api.text == local.text


def test_ignored_n_falls_back_to_one_request_per_sample(api) -> None:  # type: ignore[no-untyped-def]
    """llama.cpp's server answers n=4 with one choice; the adapter must still return four."""
    request = Generate(prompt="Once upon a time", params=GenerationParams(max_tokens=6, temperature=1.0, n=4, seed=3))
    [completion] = run(api.generate([request]))
    assert completion.error is None
    assert len(completion.texts) == 4
    assert len(set(completion.texts)) > 1  # distinct seeds, distinct samples
    assert api.transport_stats()["n_honoured"] is False


def test_unreachable_server_is_a_clear_error() -> None:
    from tests.support.llama_server import free_port

    with pytest.raises(ModelError, match="cannot use the server"):
        load_model(f"openai:m@http://127.0.0.1:{free_port()}/v1", ModelOptions(extra={"timeout_s": "2"}))


def test_named_key_variable_must_exist(llama_server) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="ASSAY_NO_SUCH_KEY"):
        load_model(f"openai:m@{llama_server.base_url}", ModelOptions(extra={"api_key_env": "ASSAY_NO_SUCH_KEY"}))


def test_api_key_never_reaches_any_output(llama_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A run with a key from the environment: the key is in no file it writes, in the cache
    and in nothing it prints."""
    secret = "sk-assay-test-" + "f00d" * 8
    env = {**os.environ, "ASSAY_TEST_KEY": secret, "ASSAY_HOME": str(tmp_path / "home")}
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "assay.cli", "run", f"openai:smollm2@{llama_server.base_url}", "arith-gen:n=2",
         "--out", str(out), "--model-arg", "api_key_env=ASSAY_TEST_KEY", "--quiet"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert secret not in proc.stdout + proc.stderr
    for path in [*out.rglob("*"), *(tmp_path / "home").rglob("*")]:
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    manifest = json.loads((out / "results.json").read_text())["manifest"]
    assert manifest["transport"]["attempts"] >= 2
    assert "ASSAY_TEST_KEY" not in json.dumps(manifest["model"])


@pytest.mark.parametrize("stream", ["true", "false"])
def test_a_prompt_longer_than_the_context_is_permanent(llama_server, stream: str) -> None:  # type: ignore[no-untyped-def]
    """llama-cpp-python answers 400 "This model's maximum context length is 2048 tokens, ..."
    (code context_length_exceeded) unstreamed, and an empty 200 event stream streamed; both
    must stop the run with reason context_length, without retries."""
    model = load_model(f"openai:smollm2@{llama_server.base_url}", ModelOptions(extra={"stream": stream}))
    too_long = Generate(prompt="word " * 3000, params=GenerationParams(max_tokens=4))
    chat = Generate(messages=(ChatMessage("user", "word " * 3000),), params=GenerationParams(max_tokens=4))
    try:
        for request in (too_long, chat):
            with pytest.raises(PermanentModelError, match="maximum context length is 2048") as caught:
                run(model.generate([request]))
            assert caught.value.reason == "context_length"
        assert model.transport_stats()["retries_by_reason"].get("http_400") is None
    finally:
        model.close()


def test_llama_cpp_server_answers_to_any_model_name(llama_server) -> None:  # type: ignore[no-untyped-def]
    """An unknown model is a 404 on servers that check names (vLLM, OpenAI: tested with a
    scripted server in tests/unit/models); llama-cpp-python's server with one model answers
    whatever name is asked, so there the mistake cannot be detected."""
    model = load_model(f"openai:no-such-model@{llama_server.base_url}", ModelOptions(extra={"stream": "false"}))
    try:
        [reply] = run(model.generate([Generate(prompt="Hi", params=GenerationParams(max_tokens=2))]))
    finally:
        model.close()
    assert reply.error is None and model.served and "no-such-model" not in model.served


def test_passes_the_adapter_conformance_checks_as_an_async_model(llama_server) -> None:  # type: ignore[no-untyped-def]
    """Against SmolLM2's server the capabilities say "no log-likelihood" (shifted echo), so
    the checks exercise generation only, through the async protocol."""
    from assay.testing import check_model

    model = load_model(f"openai:smollm2@{llama_server.base_url}", ModelOptions(extra={"body.repeat_penalty": "1.0"}))
    try:
        assert not model.capabilities.loglikelihood
        check_model(model)
    finally:
        model.close()
