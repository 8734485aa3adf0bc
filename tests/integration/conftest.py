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


@pytest.fixture(scope="session")
def smollm2_gguf() -> "Path":
    """The bundled SmolLM2 GGUF file (what the llama.cpp backends load)."""
    from pathlib import Path

    from assay.models.registry import resolve_spec

    return Path(resolve_spec("smollm2").partition(":")[2])


@pytest.fixture(scope="session")
def llama_server(smollm2_gguf: "Path", tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real llama.cpp server (llama-cpp-python) on 127.0.0.1 serving SmolLM2, for the
    whole session; stopped by PID at the end."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `make setup`")
    from tests.support.llama_server import LlamaServer

    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with LlamaServer(smollm2_gguf, log=log) as server:
        yield server


@pytest.fixture(scope="session")
def smollm2_llamacpp() -> Iterator[object]:
    """SmolLM2 in-process through llama-cpp-python."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `make setup`")
    model = load_model("llamacpp:smollm2")
    yield model
    model.close()


@pytest.fixture(scope="session")
def gemma_gguf() -> "Path":
    """The bundled Gemma-3-270M GGUF (assembled from its chunk packages on first use)."""
    from pathlib import Path

    from assay.models.registry import resolve_spec

    return Path(resolve_spec("gemma3-270m").partition(":")[2])


@pytest.fixture(scope="session")
def gemma_server(gemma_gguf: "Path", tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A llama.cpp server with Gemma-3-270M, whose tokenizer adds BOS, so its echo
    log-probs are aligned (SmolLM2's are not)."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `make setup`")
    from tests.support.llama_server import LlamaServer

    log = tmp_path_factory.mktemp("gemma-server") / "server.log"
    with LlamaServer(gemma_gguf, log=log) as server:
        yield server


@pytest.fixture(scope="session")
def gemma_llamacpp() -> Iterator[object]:
    """Gemma-3-270M in-process through llama-cpp-python."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `make setup`")
    model = load_model("llamacpp:gemma3-270m")
    yield model
    model.close()
