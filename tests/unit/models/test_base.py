"""The model protocols and `check_capabilities` (pure: no model)."""

from __future__ import annotations

import pytest

from assay.errors import PermanentModelError
from assay.models import AsyncModel, BatchModel, Capabilities, check_capabilities, is_async_model
from assay.testing import InstantModel


def test_a_run_that_needs_what_the_model_has_passes() -> None:
    check_capabilities(Capabilities(), needs_loglikelihood=True, needs_generate=True, model_name="m")
    check_capabilities(Capabilities(loglikelihood=False), needs_loglikelihood=False, needs_generate=True, model_name="m")


@pytest.mark.parametrize(("caps", "ll", "gen", "missing"), [
    (Capabilities(loglikelihood=False, reason="its echo log-probs are shifted"), True, False, "log-likelihood scoring"),
    (Capabilities(generate=False), False, True, "text generation"),
    (Capabilities(loglikelihood=False, generate=False), True, True, "log-likelihood scoring or text generation"),
])
def test_a_missing_capability_is_a_permanent_error_with_its_reason(caps: Capabilities, ll: bool, gen: bool,
                                                                   missing: str) -> None:
    with pytest.raises(PermanentModelError) as caught:
        check_capabilities(caps, needs_loglikelihood=ll, needs_generate=gen, model_name="openai:smollm2")
    message = str(caught.value)
    assert caught.value.reason == "unsupported"
    assert f"'openai:smollm2' cannot do {missing}" in message
    if caps.reason:
        assert caps.reason in message


def test_batch_and_async_models_are_told_apart() -> None:
    model = InstantModel()
    assert isinstance(model, BatchModel) and not is_async_model(model)

    class Remote:
        info = model.info
        capabilities = Capabilities()
        max_concurrency = 2

        async def loglikelihood(self, requests):  # type: ignore[no-untyped-def]
            return []

        async def generate(self, requests):  # type: ignore[no-untyped-def]
            return []

        def close(self) -> None:
            return None

    assert isinstance(Remote(), AsyncModel) and is_async_model(Remote())
