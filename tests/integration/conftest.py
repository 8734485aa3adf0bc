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
