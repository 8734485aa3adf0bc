"""Shared test set-up. Real models are loaded once per session (see tests/integration)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def smollm2_ready() -> None:
    """Make sure SmolLM2's converted-weights cache exists, so timed subprocess runs do not
    spend their first ~40 s de-quantizing the GGUF."""
    from assay.models import load_model

    load_model("smollm2").close()
