"""Whole-text log-likelihood over the `openai:` adapter against real llama.cpp servers. Neither
can score a text's first token: SmolLM2's echo is shifted, and Gemma's (aligned) echo leaves
out the BOS it conditions on, so its first text token has no log-prob. Both are refused before
any request, and the reason says why."""

from __future__ import annotations

import pytest

from assay.core import Sample, Task, TaskKind
from assay.core.requests import LoglikelihoodRolling
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.errors import PermanentModelError
from assay.models import load_model
from assay.scoring.perplexity import PerplexityScorer
from tests.support.aio import run

pytestmark = pytest.mark.slow

TEXTS = [LoglikelihoodRolling("The capital of France is Paris."), LoglikelihoodRolling("2 + 2 = 4")]
"""Short: Gemma's echo path costs about half a second per token on this server."""


def test_aligned_server_without_an_echoed_bos_is_refused(gemma_server) -> None:  # type: ignore[no-untyped-def]
    model = load_model(f"openai:gemma@{gemma_server.base_url}")
    try:
        caps = model.capabilities
        assert caps.loglikelihood and not caps.loglikelihood_rolling
        assert "first token" in (caps.reason or "")
        with pytest.raises(PermanentModelError, match="whole texts") as caught:
            run(model.loglikelihood_rolling(TEXTS))
        assert caught.value.reason == "unsupported"
    finally:
        model.close()


def test_shifted_server_is_refused_before_a_perplexity_run(llama_server) -> None:  # type: ignore[no-untyped-def]
    model = load_model(f"openai:smollm2@{llama_server.base_url}")
    try:
        assert not model.capabilities.loglikelihood_rolling
        task = Task(name="ppl", version="1", kind=TaskKind.PERPLEXITY,
                    load=lambda: [Sample(id="a", input="We the People", target="")], scorers=(PerplexityScorer(),))
        with pytest.raises(PermanentModelError, match="perplexity") as caught:
            evaluate(model, [task], ResponseCache(None), RunOptions(show_progress=False))
        assert caught.value.reason == "unsupported"
    finally:
        model.close()
