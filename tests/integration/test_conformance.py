"""The conformance checks on a real bundled model: what a third-party adapter's own test would run."""

from __future__ import annotations

import pytest

from assay.testing import check_model

pytestmark = pytest.mark.slow


def test_smollm2_passes_check_model(smollm2: object) -> None:
    check_model(smollm2)
