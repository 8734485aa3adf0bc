"""The `vllm:` adapter: vLLM's offline engine on a GPU (extra `vllm`).

It cannot run on the CPU-only machines assay is developed and tested on, so it is kept
small, imported only when used, and not exercised by the test suite; against a vLLM
*server*, use the `openai:` adapter (`openai:MODEL@http://host:8000/v1`), which is tested.

Spec: `vllm:HF_ID_OR_PATH`. Settings (`VLLMSettings`, `--model-arg`): `tensor_parallel_size`
(1), `max_model_len`, `gpu_memory_utilization` (0.9), `dtype` ("auto"). A request longer
than the model's length raises `PermanentModelError` (reason "context_length").

Log-likelihood uses vLLM's prompt log-probs (`prompt_logprobs=0` returns each prompt
token's own log-prob); whole-text log-likelihood sums them over lm-eval's rolling windows of
`max_model_len - 2` tokens (room for the prompt's extra token and the one generated, as
lm-eval's vLLM backend does); generation maps `GenerationParams` onto `SamplingParams`.
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any, Sequence

from pydantic import Field

from assay.core.requests import Generate, Loglikelihood, LoglikelihoodRolling
from assay.core.responses import Completion, LoglikelihoodResult, RollingLoglikelihoodResult, Usage
from assay.errors import MissingDependencyError
from assay.models.base import Capabilities, ModelInfo, ModelOptions, ProgressCallback, context_length_error
from assay.models.hf.tokens import TokenSetup
from assay.models.registry import register_adapter
from assay.models.settings import AdapterSettings, parse_settings
from assay.models.windows import rolling_windows


class VLLMSettings(AdapterSettings):
    """Settings of `vllm:` specs (passed to `vllm.LLM`)."""

    tensor_parallel_size: int = Field(1, ge=1, description="GPUs to split the model over")
    max_model_len: int | None = Field(None, ge=1, description="context length (default: the model's)")
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1, description="share of GPU memory vLLM may take")
    dtype: str = Field("auto", description="weight dtype: auto, float16, bfloat16, float32")


def _max_model_len(llm: Any) -> int | None:
    try:
        return int(llm.llm_engine.model_config.max_model_len)
    except (AttributeError, TypeError, ValueError):
        return None


class VLLMModel:
    """A model in vLLM's offline `LLM` engine."""

    def __init__(self, llm: Any, name: str, max_model_len: int | None = None) -> None:
        self.llm = llm
        self.max_model_len = max_model_len or _max_model_len(llm)
        self.tokenizer = llm.get_tokenizer()
        self.tokens = TokenSetup.probe(self.tokenizer)
        self.info = ModelInfo(name=f"vllm:{name}", adapter="vllm", identity={"model": name},
                              has_chat_template=getattr(self.tokenizer, "chat_template", None) is not None)
        self.capabilities = Capabilities(loglikelihood=True, generate=True, chat=self.info.has_chat_template,
                                         loglikelihood_rolling=True)

    def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]:
        """Sum of the continuation tokens' prompt log-probs, on the same token split as the
        hf adapter (`TokenSetup.encode_pair`)."""
        from vllm import SamplingParams

        pairs = [self.tokens.encode_pair(r.context, r.continuation) for r in requests]
        for head, cont in pairs:
            if self.max_model_len is not None and len(head) + len(cont) > self.max_model_len:
                raise context_length_error(self.info.name, len(head) + len(cont), self.max_model_len,
                                           "a log-likelihood request (context and continuation)")
        prompts = [{"prompt_token_ids": head + cont} for head, cont in pairs]
        outputs = self.llm.generate(prompts, SamplingParams(max_tokens=1, prompt_logprobs=1), use_tqdm=False)
        results = []
        for out, (head, cont) in zip(outputs, pairs):
            ids = head + cont
            total, greedy = 0.0, True
            for pos in range(len(head), len(ids)):
                entry = out.prompt_logprobs[pos][ids[pos]]
                total += entry.logprob
                greedy = greedy and entry.rank == 1
            results.append(LoglikelihoodResult(total, greedy, len(cont)))
        return results

    def loglikelihood_rolling(self, requests: Sequence[LoglikelihoodRolling]) -> list[RollingLoglikelihoodResult]:
        """log P(text) per request: every window of every text in one `generate` call, each
        window's prompt `context + targets` and its targets' prompt log-probs summed."""
        from vllm import SamplingParams

        owners: list[int] = []
        prompts: list[dict[str, list[int]]] = []
        spans: list[int] = []  # how many trailing prompt tokens of each window are scored
        for index, request in enumerate(requests):
            ids = self.tokens.encode(request.text, add_bos=False)
            length = self.max_model_len - 2 if self.max_model_len is not None else max(len(ids), 1)
            if length < 1:
                raise context_length_error(self.info.name, len(ids), self.max_model_len or 0, "a whole-text window")
            for window in rolling_windows(ids, self.tokens.prefix_id, length):
                owners.append(index)
                prompts.append({"prompt_token_ids": list(window.context) + list(window.targets)})
                spans.append(len(window.targets))
        totals = [0.0] * len(requests)
        counts = [0] * len(requests)
        if prompts:
            began = time.perf_counter()
            outputs = self.llm.generate(prompts, SamplingParams(max_tokens=1, prompt_logprobs=1), use_tqdm=False)
            for out, prompt, n, owner in zip(outputs, prompts, spans, owners):
                ids = prompt["prompt_token_ids"]
                totals[owner] += sum(out.prompt_logprobs[pos][ids[pos]].logprob for pos in range(len(ids) - n, len(ids)))
                counts[owner] += n
            share = (time.perf_counter() - began) / len(requests)
        else:
            share = 0.0
        return [RollingLoglikelihoodResult(totals[i], counts[i], Usage(tokens_in=counts[i], latency_s=share if counts[i] else 0.0))
                for i in range(len(requests))]

    def generate(self, requests: Sequence[Generate]) -> list[Completion]:
        """Completions through vLLM's scheduler, chat requests via its chat template."""
        from vllm import SamplingParams

        results = []
        for r in requests:
            p = r.params
            sampling = SamplingParams(n=p.n, max_tokens=p.max_tokens, temperature=p.temperature, top_p=p.top_p,
                                      stop=list(p.stop) or None, seed=p.seed)
            began = time.perf_counter()
            try:
                if r.messages is not None:
                    out = self.llm.chat([m.to_dict() for m in r.messages], sampling, use_tqdm=False)[0]
                else:
                    out = self.llm.generate([r.prompt], sampling, use_tqdm=False)[0]
            except ValueError as exc:
                # vLLM: "The decoder prompt (length N) is longer than the maximum model length of M."
                if "maximum model length" in str(exc):
                    raise context_length_error(self.info.name, -1, self.max_model_len or -1, "a prompt") from None
                raise
            texts = tuple(o.text for o in out.outputs)
            results.append(Completion(texts, out.outputs[0].finish_reason,
                                      Usage(len(out.prompt_token_ids), sum(len(o.token_ids) for o in out.outputs),
                                            time.perf_counter() - began)))
        return results

    def close(self) -> None:
        return None


@register_adapter("vllm", "vLLM's offline engine on a GPU (untested here: no GPU): vllm:HF_ID", settings=VLLMSettings)
def _build(rest: str, options: ModelOptions, progress: ProgressCallback) -> VLLMModel:
    settings = parse_settings(VLLMSettings, options.extra, "vllm")
    if importlib.util.find_spec("vllm") is None:
        raise MissingDependencyError("vllm", "the vllm adapter (a GPU machine)", extra="vllm")
    from vllm import LLM

    kwargs: dict[str, Any] = settings.model_dump(exclude_none=True)
    progress(f"starting vLLM for {rest}")
    return VLLMModel(LLM(model=rest, **kwargs), rest, settings.max_model_len)
