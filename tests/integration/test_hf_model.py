"""The transformers adapter against the real bundled models (SmolLM2 and Gemma-3-270M).

Scores are checked against a direct, unbatched computation with the underlying
transformers model; generation against itself (reproducible, batch-independent).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.core import ChatMessage, Generate, GenerationParams, Loglikelihood
from assay.errors import PermanentModelError
from assay.models import BatchModel, ModelOptions, load_model
from assay.models.hf.adapter import HFModel

pytestmark = pytest.mark.slow

PAIRS = [
    ("The capital of France is", " Paris"),
    ("The capital of France is ", "Paris"),  # trailing space moves to the continuation
    ("Question: What color is a clear daytime sky?\nAnswer:", " blue"),
    ("Answer: ", "the quick brown fox jumps over the lazy dog."),
    ("2 + 2 =", " 4"),
    (
        "Photosynthesis is the process by which green plants, algae and some bacteria turn "
        "light energy into chemical energy. During this process, water and carbon dioxide are "
        "used to produce glucose and oxygen. The oxygen is released into the",
        " atmosphere, where animals breathe it.",
    ),
    ("Hello", ","),
]


def direct_logprob(model: HFModel, context: str, continuation: str) -> float:
    """Sum of the continuation's token log-probs from one unbatched, full forward pass.

    Written independently of the adapter, lm-evaluation-harness style: the tokenizer's own
    special tokens (Gemma's <bos>) are kept, and trailing context whitespace moves over.
    """
    import torch

    spaces = len(context) - len(context.rstrip())
    if spaces:
        context, continuation = context[:-spaces], context[-spaces:] + continuation
    tok = model.tokenizer
    ctx = tok(context).input_ids
    whole = tok(context + continuation).input_ids
    assert whole[: len(ctx)] == ctx
    cont = whole[len(ctx):]
    with torch.inference_mode():
        logits = model.hf_model(torch.tensor([whole])).logits[0].float()
    logprobs = torch.log_softmax(logits, dim=-1)
    return float(sum(logprobs[len(ctx) - 1 + k, t] for k, t in enumerate(cont)))


def with_options(model: HFModel, **options: object) -> HFModel:
    """The same loaded weights behind different adapter options (no reload)."""
    return HFModel(model.hf_model, model.tokenizer, model.info, ModelOptions(**options))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["smollm2", "gemma"])
def test_loglikelihood_matches_direct_computation(name: str, request: pytest.FixtureRequest) -> None:
    model = request.getfixturevalue(name)
    requests = [Loglikelihood(c, x) for c, x in PAIRS]
    batched = model.loglikelihood(requests)  # one mixed-length, left-padded batch
    for (context, continuation), result in zip(PAIRS, batched):
        assert result.error is None
        assert result.logprob == pytest.approx(direct_logprob(model, context, continuation), abs=1e-4)
        assert result.n_tokens >= 1
    # The trailing-space variant is the same tokens, hence the same score.
    assert batched[0].logprob == pytest.approx(batched[1].logprob, abs=1e-6)
    singles = [model.loglikelihood([r])[0] for r in requests]
    tiny_batches = with_options(model, batch_size=2).loglikelihood(requests)
    for a, b, c in zip(batched, singles, tiny_batches):
        assert a.logprob == pytest.approx(b.logprob, abs=1e-4)
        assert a.logprob == pytest.approx(c.logprob, abs=1e-4)
        assert a.n_tokens == b.n_tokens == c.n_tokens
        assert a.is_greedy == b.is_greedy


def test_bos_handling(smollm2: HFModel, gemma: HFModel) -> None:
    assert gemma.tokens.adds_bos and not smollm2.tokens.adds_bos
    ctx, _ = gemma.tokens.encode_pair("The capital of France is", " Paris")
    assert ctx[0] == gemma.tokenizer.bos_token_id
    # Gemma scored without its <bos> is a different (worse-calibrated) number: BOS matters.
    import torch

    ids = gemma.tokenizer("The capital of France is Paris", add_special_tokens=False).input_ids
    with torch.inference_mode():
        logits = gemma.hf_model(torch.tensor([ids])).logits[0]
    no_bos = float(torch.log_softmax(logits[-2], -1)[ids[-1]])
    with_bos = gemma.loglikelihood([Loglikelihood("The capital of France is", " Paris")])[0].logprob
    assert abs(no_bos - with_bos) > 1e-3


def test_empty_context_and_continuation(smollm2: HFModel, gemma: HFModel) -> None:
    for model in (smollm2, gemma):
        empty_ctx, empty_cont = model.loglikelihood([Loglikelihood("", "Hello"), Loglikelihood("Hi", "")])
        assert empty_ctx.error is None and empty_ctx.n_tokens == 1 and empty_ctx.logprob < 0
        assert empty_cont.logprob == 0.0 and empty_cont.n_tokens == 0


def test_greedy_flag(smollm2: HFModel) -> None:
    [result] = smollm2.loglikelihood([Loglikelihood("The capital of France is", " Paris")])
    assert result.is_greedy  # SmolLM2 knows this one
    [odd] = smollm2.loglikelihood([Loglikelihood("The capital of France is", " banana")])
    assert not odd.is_greedy and odd.logprob < result.logprob


def test_model_info(smollm2: HFModel, gemma: HFModel) -> None:
    for model in (smollm2, gemma):
        assert isinstance(model, BatchModel)
        assert model.info.adapter == "gguf"
        assert len(model.info.identity["gguf_sha256"]) == 64
        assert model.info.parameters and model.info.parameters > 100_000_000
    assert smollm2.info.has_chat_template and smollm2.capabilities.chat
    assert not gemma.info.has_chat_template


GREEDY = GenerationParams(max_tokens=12)
PROMPTS = [
    "The capital of France is",
    "Once upon a time, in a small village by the sea, there lived an old fisherman who",
    "1, 2, 3, 4,",
]


def test_greedy_generation_is_reproducible_and_batch_independent(smollm2: HFModel) -> None:
    requests = [Generate(prompt=p, params=GREEDY) for p in PROMPTS]
    first = smollm2.generate(requests)
    again = smollm2.generate(requests)
    singles = [smollm2.generate([r])[0] for r in requests]
    assert [c.texts for c in first] == [c.texts for c in again] == [c.texts for c in singles]
    for prompt, completion in zip(PROMPTS, first):
        assert completion.error is None and completion.text
        assert not completion.text.startswith(prompt)  # the prompt is never echoed
        assert completion.finish_reason in ("stop", "length")
        assert 0 < completion.usage.tokens_out <= GREEDY.max_tokens
        assert completion.usage.tokens_in == len(smollm2.tokens.encode(prompt))


def test_greedy_batch_independent_on_gemma(gemma: HFModel) -> None:
    requests = [Generate(prompt=p, params=GenerationParams(max_tokens=6)) for p in PROMPTS[:2]]
    assert [c.texts for c in gemma.generate(requests)] == [gemma.generate([r])[0].texts for r in requests]


def test_sampling_is_seeded(smollm2: HFModel) -> None:
    def sample(seed: int, n: int = 1) -> tuple[str, ...]:
        params = GenerationParams(max_tokens=12, temperature=1.0, seed=seed, n=n)
        return smollm2.generate([Generate(prompt="My favourite animal is", params=params)])[0].texts

    assert sample(1) == sample(1)
    assert len({sample(seed)[0] for seed in (1, 2, 3, 4)}) > 1
    three = sample(7, n=3)
    assert len(three) == 3 and three == sample(7, n=3)


def test_stop_sequences_truncate(smollm2: HFModel) -> None:
    prompt = "Count: 1, 2, 3, 4,"
    free = smollm2.generate([Generate(prompt=prompt, params=GenerationParams(max_tokens=16))])[0]
    assert free.finish_reason == "length" and free.usage.tokens_out == 16
    stop = free.text.strip()[2:4]  # some text that occurs after the start
    assert stop and stop in free.text
    params = GenerationParams(max_tokens=16, stop=(stop, "never-occurs"))
    cut = smollm2.generate([Generate(prompt=prompt, params=params)])[0]
    assert cut.text == free.text[: free.text.index(stop)]
    assert cut.finish_reason == "stop"
    assert cut.usage.tokens_out < 16  # generation stopped early, not only the text


def test_chat_template_for_smollm2_raw_join_for_gemma(smollm2: HFModel, gemma: HFModel) -> None:
    messages = (ChatMessage("user", "What is 2+2?"), ChatMessage("assistant", "4"), ChatMessage("user", "And 3+3?"))
    request = Generate(messages=messages, params=GenerationParams(max_tokens=8))
    chat = smollm2.render_prompt(request)
    assert "<|im_start|>user\nWhat is 2+2?<|im_end|>" in chat
    assert chat.endswith("<|im_start|>assistant\n")
    assert smollm2.tokenizer.decode(smollm2.prompt_ids(request)) == chat
    assert gemma.render_prompt(request) == "What is 2+2?\n\n4\n\nAnd 3+3?"
    assert gemma.prompt_ids(request)[0] == gemma.tokenizer.bos_token_id
    reply = smollm2.generate([request])[0]
    assert reply.error is None and "<|im_start|>" not in reply.text and "im_end" not in reply.text


def test_converted_cache_second_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smollm2: HFModel) -> None:
    """A fresh ASSAY_HOME converts once (~25 s); the next load reads the cache and agrees."""
    monkeypatch.setenv("ASSAY_HOME", str(tmp_path))
    first_log: list[str] = []
    first = load_model("smollm2", progress=first_log.append)
    assert any("converting GGUF" in line for line in first_log)
    first.close()
    second_log: list[str] = []
    second = load_model("smollm2", progress=second_log.append)
    assert not any("converting" in line for line in second_log)
    assert any("from converted cache" in line for line in second_log)
    assert not list(tmp_path.glob("converted/.tmp-*"))  # no half-written directory left
    requests = [Loglikelihood(c, x) for c, x in PAIRS[:3]]
    fresh = [r.logprob for r in second.loglikelihood(requests)]
    session = [r.logprob for r in smollm2.loglikelihood(requests)]
    assert fresh == session
    assert second.info.identity == smollm2.info.identity


def test_hf_directory_spec(smollm2: HFModel) -> None:
    """`hf:<dir>` loads a transformers directory (here SmolLM2's converted copy) and pins it."""
    model = load_model(f"hf:{smollm2.info.details['converted']}")
    try:
        assert model.info.adapter == "hf"
        assert set(model.info.identity) == {"path", "config_hash", "weights"}
        requests = [Loglikelihood(c, x) for c, x in PAIRS[:2]]
        assert [r.logprob for r in model.loglikelihood(requests)] == [
            r.logprob for r in smollm2.loglikelihood(requests)
        ]
    finally:
        model.close()


def test_a_request_longer_than_the_model_positions_is_permanent(smollm2: HFModel) -> None:
    """Checked before any forward pass: truncating would score or answer another question."""
    window = smollm2.max_length
    with pytest.raises(PermanentModelError, match=f"{window}-token context") as caught:
        smollm2.loglikelihood([Loglikelihood("Hello", " world"), Loglikelihood("word " * (window + 10), " end")])
    assert caught.value.reason == "context_length"
    with pytest.raises(PermanentModelError) as caught:
        smollm2.generate([Generate(prompt="word " * (window + 10), params=GenerationParams(max_tokens=4))])
    assert caught.value.reason == "context_length"
