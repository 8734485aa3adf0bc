"""Whole-text log-likelihood with the real bundled SmolLM2: windows against a direct
computation, hf against llama.cpp, and the public-domain perplexity task end to end."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from assay.core.requests import Loglikelihood, LoglikelihoodRolling
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.models.windows import rolling_windows
from assay.tasks.yaml_task import load_task_file

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "perplexity" / "public_domain.yaml"
PREAMBLE = ("We the People of the United States, in Order to form a more perfect Union, establish Justice, insure "
            "domestic Tranquility, provide for the common defence, promote the general Welfare, and secure the "
            "Blessings of Liberty to ourselves and our Posterity, do ordain and establish this Constitution for the "
            "United States of America.")
TEXTS = (PREAMBLE, "Four score and seven years ago our fathers brought forth on this continent, a new nation.",
         "Congress shall make no law.")


def _direct(model, ids: list[int], context: list[int]) -> float:
    """Σ log P(ids[i] | context + ids[:i]) from one plain, unpadded forward pass."""
    import torch

    with torch.inference_mode():
        x = torch.tensor([context + ids[:-1]])
        logits = model.hf_model(x).logits[0, len(context) - 1:].float()
        return float(torch.log_softmax(logits, -1).gather(-1, torch.tensor(ids)[:, None]).sum())


def test_text_that_fits_equals_one_full_context_pass(smollm2) -> None:
    ids = smollm2.tokens.encode(PREAMBLE, add_bos=False)
    (rolled,) = smollm2.loglikelihood_rolling([LoglikelihoodRolling(PREAMBLE)])
    assert rolled.n_tokens == len(ids)
    assert rolled.logprob == pytest.approx(_direct(smollm2, ids, [smollm2.tokens.prefix_id]), abs=1e-3)
    (as_request,) = smollm2.loglikelihood([Loglikelihood("", PREAMBLE)])  # an empty context: the same tokens
    assert rolled.logprob == pytest.approx(as_request.logprob, abs=1e-3)


def test_windows_of_a_tiny_max_length_equal_their_direct_computation(smollm2, monkeypatch) -> None:
    from assay.models.hf import rolling

    monkeypatch.setattr(smollm2, "rolling_max_length", 16)
    ids = smollm2.tokens.encode(PREAMBLE, add_bos=False)
    windows = rolling_windows(ids, smollm2.tokens.prefix_id, 16)
    assert len(ids) > 40 and len(windows) >= 4
    expected = sum(_direct(smollm2, list(w.targets), list(w.context)) for w in windows)
    batched = smollm2.loglikelihood_rolling([LoglikelihoodRolling(t) for t in TEXTS])
    assert batched[0].n_tokens == len(ids)
    assert batched[0].logprob == pytest.approx(expected, abs=2e-3)
    full = _direct(smollm2, ids, [smollm2.tokens.prefix_id])
    assert batched[0].logprob < full - 1.0  # less context, worse: the windows really were cut
    alone = [smollm2.loglikelihood_rolling([LoglikelihoodRolling(t)])[0] for t in TEXTS]
    assert [a.logprob for a in alone] == pytest.approx([b.logprob for b in batched], abs=2e-3)
    monkeypatch.setattr(rolling, "CHUNK_TOKENS", 5)  # every window through the chunked key/value-cache path
    (chunked,) = smollm2.loglikelihood_rolling([LoglikelihoodRolling(PREAMBLE)])
    assert chunked.logprob == pytest.approx(expected, abs=2e-3)


def test_llamacpp_agrees_with_hf_per_token(smollm2, smollm2_llamacpp) -> None:
    """Same tokens; llama.cpp's quantized matmul differs from fp32 transformers by a few
    hundredths of a nat per token (MODELS.md: ~0.1-0.2 nats per multi-token option)."""
    requests = [LoglikelihoodRolling(t) for t in TEXTS]
    hf = smollm2.loglikelihood_rolling(requests)
    cpp = smollm2_llamacpp.loglikelihood_rolling(requests)
    for a, b in zip(hf, cpp):
        assert a.n_tokens == b.n_tokens
        assert abs(a.logprob - b.logprob) / a.n_tokens < 0.1
    saved = smollm2.rolling_max_length, smollm2_llamacpp.rolling_max_length
    smollm2.rolling_max_length = smollm2_llamacpp.rolling_max_length = 16  # windowed too
    try:
        hf16, cpp16 = smollm2.loglikelihood_rolling(requests[:1]), smollm2_llamacpp.loglikelihood_rolling(requests[:1])
    finally:
        smollm2.rolling_max_length, smollm2_llamacpp.rolling_max_length = saved
    assert abs(hf16[0].logprob - cpp16[0].logprob) / hf16[0].n_tokens < 0.1


def test_public_domain_task_end_to_end(smollm2, tmp_path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    run = evaluate(smollm2, [load_task_file(FIXTURE)], cache, RunOptions(show_progress=False))
    metrics = run.tasks["public-domain-perplexity"].metrics
    wp, bpb = metrics["word_perplexity"], metrics["bits_per_byte"]
    assert wp.n == 10 and wp.n_failed == 0 and wp.ci_low < wp.value < wp.ci_high
    lp = sum(r.scores["logprob"] for r in run.samples)
    assert wp.value == pytest.approx(math.exp(-lp / sum(r.scores["n_words"] for r in run.samples)))
    assert bpb.value == pytest.approx(-lp / sum(r.scores["n_bytes"] for r in run.samples) / math.log(2))
    assert 1.0 < wp.value < 200.0 and 0.3 < bpb.value < 2.0  # a small model on plain English prose
    print(f"\nSmolLM2 hf: " + ", ".join(f"{m.name} {m.value:.4g} [{m.ci_low:.4g}, {m.ci_high:.4g}]"
                                       for m in metrics.values()))
    cache.close()


def test_gemma_scores_the_text_from_its_bos(gemma) -> None:
    """Gemma's tokenizer adds <bos>: the text's own tokens are scored from it (the BOS itself
    is the condition, never a scored token), the same as a log-likelihood request with an
    empty context."""
    ids = gemma.tokens.encode(PREAMBLE, add_bos=False)
    assert gemma.tokens.adds_bos and gemma.tokens.prefix_id == gemma.tokens.bos_id
    (rolled,) = gemma.loglikelihood_rolling([LoglikelihoodRolling(PREAMBLE)])
    assert rolled.n_tokens == len(ids)
    assert rolled.logprob == pytest.approx(_direct(gemma, ids, [gemma.tokens.bos_id]), abs=2e-3)
    (as_request,) = gemma.loglikelihood([Loglikelihood("", PREAMBLE)])
    assert rolled.logprob == pytest.approx(as_request.logprob, abs=2e-3)
