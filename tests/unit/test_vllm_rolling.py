"""The `vllm:` adapter's whole-text log-likelihood against the stand-in `vllm` module of
test_vllm_adapter (no GPU here): which prompt positions of which windows are summed."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from assay.core.requests import LoglikelihoodRolling
from assay.models import ModelOptions, load_model
from tests.unit.test_vllm_adapter import _LLM, _SamplingParams


def _model(monkeypatch: pytest.MonkeyPatch, max_model_len: int) -> Any:
    fake = types.ModuleType("vllm")
    fake.LLM = _LLM  # type: ignore[attr-defined]
    fake.SamplingParams = _SamplingParams  # type: ignore[attr-defined]
    fake.__spec__ = types.SimpleNamespace(name="vllm")  # type: ignore[assignment]
    monkeypatch.setitem(sys.modules, "vllm", fake)
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: object() if name == "vllm" else None)
    return load_model("vllm:org/model", ModelOptions(extra={"max_model_len": str(max_model_len)}))


def test_a_text_that_fits_is_one_prompt_from_the_prefix_token(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model(monkeypatch, 1024)
    assert model.capabilities.loglikelihood_rolling
    # the stand-in gives prompt position i the log-prob -i/10; "<s> the cat sat on the mat"
    (r, empty) = model.loglikelihood_rolling([LoglikelihoodRolling("the cat sat on the mat"), LoglikelihoodRolling("")])
    assert r.logprob == pytest.approx(-(1 + 2 + 3 + 4 + 5 + 6) / 10) and r.n_tokens == 6
    assert empty.logprob == 0.0 and empty.n_tokens == 0
    _, prompts, params = model.llm.calls[0]
    assert prompts == [{"prompt_token_ids": [0, 1, 2, 3, 4, 1, 5]}]
    assert params.kwargs == {"max_tokens": 1, "prompt_logprobs": 1}


def test_windows_of_max_model_len_minus_two(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model(monkeypatch, 6)  # windows of 4 tokens, as lm-eval's vLLM backend
    (r,) = model.loglikelihood_rolling([LoglikelihoodRolling("the cat sat on the mat")])
    _, prompts, _ = model.llm.calls[0]
    # window 1: <s> + the cat sat on (positions 1-4); window 2: cat sat on | the mat (positions 3-4)
    assert prompts == [{"prompt_token_ids": [0, 1, 2, 3, 4]}, {"prompt_token_ids": [2, 3, 4, 1, 5]}]
    assert r.logprob == pytest.approx(-(1 + 2 + 3 + 4) / 10 - (3 + 4) / 10) and r.n_tokens == 6
