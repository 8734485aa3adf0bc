"""Shared-prefix scoring equals full recomputation on the real bundled models.

Each context runs once and its options are scored from its key/value cache (assay.models.hf.prefix);
the same requests with `share_prefix=False` recompute `context + option` in full. The two
must agree within floating-point tolerance for single- and multi-token options, mixed in
one batch, with contexts of different lengths (so left padding is exercised) and items
with different numbers of options.
"""

from __future__ import annotations

import pytest

from assay.core.requests import Loglikelihood
from assay.models.hf.scoring import score_loglikelihood

CONTEXTS = [
    "The capital of France is",
    "Question: Mira has 3 apples and buys 4 more. How many apples does she have now?\nAnswer:",
    "Once upon a time, in a land far away, there lived a",
]
OPTIONS = [
    [" Paris", " the city of Berlin in Germany", " Rome", " a small village near the sea"],
    [" 7", " seven apples in total", " 12"],
    [" dragon", " king who ruled wisely and well", " x", " cat", " princess"],
]
REQUESTS = [Loglikelihood(context=c, continuation=o) for c, opts in zip(CONTEXTS, OPTIONS) for o in opts]


def _score(model, *, share_prefix: bool, batch_size: int | None):
    return score_loglikelihood(
        model.hf_model, model.tokens, REQUESTS, batch_size=batch_size,
        max_length=model.max_length, device=model.device, share_prefix=share_prefix,
    )


@pytest.mark.parametrize("model_name", ["smollm2", "gemma"])
def test_shared_prefix_equals_full_recomputation(model_name, request):
    model = request.getfixturevalue(model_name)
    full = _score(model, share_prefix=False, batch_size=None)
    token_counts = {r.n_tokens for r in full}
    assert 1 in token_counts and max(token_counts) >= 3, "needs single- and multi-token options"
    for batch_size in (None, 4):
        shared = _score(model, share_prefix=True, batch_size=batch_size)
        assert len(shared) == len(full)
        for a, b in zip(shared, full):
            assert a.n_tokens == b.n_tokens
            assert a.logprob == pytest.approx(b.logprob, abs=2e-4)
            assert a.is_greedy == b.is_greedy
            assert a.error is None


def test_adapter_loglikelihood_uses_shared_prefix_by_default(smollm2):
    by_adapter = smollm2.loglikelihood(REQUESTS)
    shared = _score(smollm2, share_prefix=True, batch_size=smollm2.options.batch_size)
    assert [r.logprob for r in by_adapter] == pytest.approx([r.logprob for r in shared], abs=1e-5)
