"""The `vllm:` adapter's mapping onto vLLM's API, against a stand-in `vllm` module.

vLLM needs a GPU, which no machine here has, so this is the one adapter tested with a fake:
it checks which prompt positions are summed, how greediness is read from ranks, and how
`GenerationParams` become `SamplingParams` — not vLLM itself.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass
from typing import Any

import pytest

from assay.core.messages import ChatMessage
from assay.core.requests import Generate, GenerationParams, Loglikelihood
from assay.models import ModelOptions, load_model

VOCAB = {w: i for i, w in enumerate(["<s>", "the", "cat", "sat", "on", "mat", "dog", "ran", "a"])}


class _Tokenizer:
    bos_token_id = 0
    eos_token_id = 0
    pad_token_id = None
    chat_template = "{{ messages }}"

    def __call__(self, text: str, add_special_tokens: bool = True) -> Any:
        return types.SimpleNamespace(input_ids=[0] * add_special_tokens + [VOCAB[w] for w in text.split()])


@dataclass
class _Logprob:
    logprob: float
    rank: int


class _LLM:
    def __init__(self, model: str, **kwargs: Any) -> None:
        self.model, self.kwargs, self.calls = model, kwargs, []

    def get_tokenizer(self) -> _Tokenizer:
        return _Tokenizer()

    def generate(self, prompts: list[Any], params: Any, use_tqdm: bool = False) -> list[Any]:
        self.calls.append(("generate", prompts, params))
        outs = []
        for p in prompts:
            if isinstance(p, dict):  # scoring: token i has log-prob -i/10, rank 1 when i is even
                ids = p["prompt_token_ids"]
                logprobs = [None] + [{ids[i]: _Logprob(-i / 10, 1 if i % 2 == 0 else 3)} for i in range(1, len(ids))]
                outs.append(types.SimpleNamespace(prompt_logprobs=logprobs))
            else:
                outs.append(_completion(p, params))
        return outs

    def chat(self, messages: list[dict[str, str]], params: Any, use_tqdm: bool = False) -> list[Any]:
        self.calls.append(("chat", messages, params))
        return [_completion(messages[-1]["content"], params)]


def _completion(prompt: str, params: Any) -> Any:
    outputs = [types.SimpleNamespace(text=f" {prompt}#{j}", token_ids=[1, 2], finish_reason="length")
               for j in range(params.kwargs.get("n", 1))]
    return types.SimpleNamespace(outputs=outputs, prompt_token_ids=[0, 1, 2])


class _SamplingParams:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs


@pytest.fixture()
def model(monkeypatch: pytest.MonkeyPatch) -> Any:
    fake = types.ModuleType("vllm")
    fake.LLM = _LLM  # type: ignore[attr-defined]
    fake.SamplingParams = _SamplingParams  # type: ignore[attr-defined]
    fake.__spec__ = types.SimpleNamespace(name="vllm")  # type: ignore[assignment]
    monkeypatch.setitem(sys.modules, "vllm", fake)
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: object() if name == "vllm" else None)
    return load_model("vllm:org/model", ModelOptions(extra={"max_model_len": "1024"}))


def test_loglikelihood_sums_the_continuation_positions_and_reads_rank_for_greedy(model: Any) -> None:
    [one, two] = model.loglikelihood([Loglikelihood("the cat", " sat"), Loglikelihood("the cat ", "sat on")])
    # "<s> the cat sat": the continuation is position 3 -> -0.3, rank 3 -> not greedy
    assert one.logprob == pytest.approx(-0.3) and one.n_tokens == 1 and not one.is_greedy
    # trailing space moves to the continuation: positions 3 and 4 -> -0.7
    assert two.logprob == pytest.approx(-0.7) and two.n_tokens == 2 and not two.is_greedy
    assert model.llm.kwargs["max_model_len"] == 1024
    _, _, params = model.llm.calls[0]
    assert params.kwargs == {"max_tokens": 1, "prompt_logprobs": 1}


def test_generation_maps_params_and_uses_chat_for_messages(model: Any) -> None:
    params = GenerationParams(max_tokens=7, temperature=0.5, top_p=0.9, stop=("\n",), seed=3, n=2)
    raw, chat = model.generate([Generate(prompt="the cat", params=params),
                                Generate(messages=(ChatMessage("user", "hello"),))])
    assert raw.texts == (" the cat#0", " the cat#1") and raw.usage.tokens_out == 4
    assert chat.text == " hello#0"
    kinds = [c[0] for c in model.llm.calls]
    assert kinds == ["generate", "chat"]
    assert model.llm.calls[0][2].kwargs == {"n": 2, "max_tokens": 7, "temperature": 0.5, "top_p": 0.9,
                                             "stop": ["\n"], "seed": 3}
