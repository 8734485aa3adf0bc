"""The local transformers adapter: `hf:ID_OR_DIR` and `gguf:/path/file.gguf` specs as a `Model`.

A GGUF is de-quantized once into the converted-weights cache (`gguf_cache`) and always
loaded from there, so the first and every later load see the same fp32 weights. Weights
stay fp32 on the CPU (or `options.device`); torch's thread count is left at its default.

torch and transformers are imported only when a model is built, so `import assay.models`
stays light; without them the factories raise `MissingDependencyError` (extra "hf").

Settings (`--model-arg`): `hf:` takes `revision` (a Hub branch, tag or commit); `gguf:`
takes none. A request longer than the model's positions raises `PermanentModelError`
(reason "context_length"): every later request of the run would be cut the same way.
"""

from __future__ import annotations

import gc
import hashlib
import importlib.util
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

from pydantic import Field

from assay.core.hashing import stable_hash
from assay.core.requests import Generate, Loglikelihood, LoglikelihoodRolling
from assay.core.responses import Completion, LoglikelihoodResult, RollingLoglikelihoodResult
from assay.errors import ConfigError, MissingDependencyError, ModelError
from assay.models.base import Capabilities, ModelInfo, ModelOptions, ProgressCallback, context_length_error
from assay.models.files import file_sha256
from assay.models.hf.gguf_cache import converted_path, ensure_converted, is_converted
from assay.models.hf.generation import Prompt, generate_all
from assay.models.hf.rolling import score_rolling, score_rolling_tokens
from assay.models.hf.scoring import score_loglikelihood
from assay.models.hf.tokens import TokenSetup
from assay.models.registry import register_adapter
from assay.models.settings import AdapterSettings, parse_settings

_FALLBACK_MAX_LENGTH = 2048


class GGUFSettings(AdapterSettings):
    """`gguf:` takes no settings of its own (`--batch-size` and `--device` are common to all)."""


class HFSettings(AdapterSettings):
    """Settings of `hf:` specs."""

    revision: str | None = Field(None, description="Hub branch, tag or commit to load (Hub ids only)")


class HFModel:
    """A transformers causal LM behind the `Model` protocol.

    `hf_model` and `tokenizer` are the underlying transformers objects (for tests and
    diagnostics); `render_prompt` shows the exact text a generation request becomes.
    """

    def __init__(self, hf_model: Any, tokenizer: Any, info: ModelInfo, options: ModelOptions) -> None:
        self.hf_model = hf_model
        self.tokenizer = tokenizer
        self.info = info
        self.capabilities = Capabilities(loglikelihood=True, generate=True, chat=info.has_chat_template,
                                         loglikelihood_rolling=True)
        self.options = options
        self.device = options.device or "cpu"
        self.tokens = TokenSetup.probe(tokenizer, getattr(hf_model, "generation_config", None))
        self.max_length = _max_length(hf_model, tokenizer)
        self.rolling_max_length: int | None = None
        """Window length for whole-text scoring; None uses `max_length` (as lm-eval does). For
        tests and diagnostics: it changes answers without changing their cache key."""

    def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]:
        """log P(continuation | context) per request, batched and returned in input order."""
        return score_loglikelihood(
            self.hf_model, self.tokens, requests,
            batch_size=self.options.batch_size, max_length=self.max_length, device=self.device,
            model_name=self.info.name,
        )

    def loglikelihood_rolling(self, requests: Sequence[LoglikelihoodRolling],
                              token_detail: bool = False) -> list[RollingLoglikelihoodResult]:
        """log P(text) per request: windows of `max_length` tokens (`rolling_max_length` when
        set), each token scored once, the first from the prefix token (see hf.rolling).
        `token_detail` adds per-token log-probs and vocabulary statistics (membership scores)."""
        if token_detail:
            return score_rolling_tokens(self.hf_model, self.tokens, requests,
                                        max_length=self.rolling_max_length or self.max_length, device=self.device)
        return score_rolling(
            self.hf_model, self.tokens, requests, batch_size=self.options.batch_size,
            max_length=self.rolling_max_length or self.max_length, device=self.device,
        )

    def generate(self, requests: Sequence[Generate]) -> list[Completion]:
        """One completion per request (greedy ones batched), in input order.

        A prompt that fills the model's window raises `PermanentModelError`; otherwise
        `max_tokens` is cut to the room the window leaves (as llama.cpp does).
        """
        prompts: list[Prompt] = []
        for request in requests:
            ids = self.prompt_ids(request)
            room = self.max_length - len(ids)
            if room < 1:
                raise context_length_error(self.info.name, len(ids), self.max_length, "a prompt")
            params = request.params
            if params.max_tokens > room:
                params = replace(params, max_tokens=room)
            prompts.append(Prompt(ids, params))
        return generate_all(self.hf_model, self.tokens, prompts, batch_size=self.options.batch_size, device=self.device)

    def render_prompt(self, request: Generate) -> str:
        """The text the model is given for `request`.

        Chat messages go through the tokenizer's chat template (with the assistant turn
        opened) when the model has one; otherwise their contents are joined with blank
        lines. For raw text the tokenizer's BOS, if it adds one, is not shown here.
        """
        if request.messages is None:
            return request.prompt or ""
        if self.info.has_chat_template:
            messages = [m.to_dict() for m in request.messages]
            return str(self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
        return "\n\n".join(m.content for m in request.messages)

    def prompt_ids(self, request: Generate) -> list[int]:
        """Token ids of `render_prompt(request)`; a chat template places its own BOS."""
        templated = request.messages is not None and self.info.has_chat_template
        return self.tokens.encode(self.render_prompt(request), add_bos=not templated)

    def close(self) -> None:
        self.hf_model = None
        gc.collect()


@register_adapter("gguf", "a local GGUF file, de-quantized once to fp32 and run with transformers",
                  settings=GGUFSettings)
def load_gguf(rest: str, options: ModelOptions, progress: ProgressCallback) -> HFModel:
    parse_settings(GGUFSettings, options.extra, "gguf")
    path = Path(rest).expanduser()
    if not path.is_file():
        raise ConfigError(f"GGUF file not found: {path}", field="model",
                          hint="give an existing file as gguf:/path/to/model.gguf")
    sha = file_sha256(path)
    # Converting reads the GGUF with the `gguf` package and needs `accelerate`; a
    # converted copy loads with torch and transformers alone.
    converting = not is_converted(converted_path(sha))
    _require_hf(*(("gguf", "accelerate") if converting else ()))
    directory = ensure_converted(path, sha, progress)
    import transformers  # noqa: F401  (seconds of import time are not load time)

    started = time.perf_counter()
    model, tokenizer = _load_dir(directory, options)
    progress(f"loaded {path.name} from converted cache in {time.perf_counter() - started:.1f} s")
    info = _info(path.stem, "gguf", {"gguf_sha256": sha}, model, tokenizer, options,
                 {"gguf": str(path.resolve()), "converted": str(directory)})
    return HFModel(model, tokenizer, info, options)


@register_adapter("hf", "a transformers model: a local directory or a Hugging Face Hub id", settings=HFSettings)
def load_hf(rest: str, options: ModelOptions, progress: ProgressCallback) -> HFModel:
    settings = parse_settings(HFSettings, options.extra, "hf")
    local = Path(rest).expanduser()
    if local.is_dir() and not (local / "config.json").is_file():
        raise ConfigError(f"{local} has no config.json, so it is not a transformers model directory",
                          field="model")
    if not local.is_dir() and (rest.startswith(("/", ".", "~")) or not rest):
        raise ConfigError(f"model directory not found: {local}", field="model",
                          hint="give hf:<existing directory> or hf:<owner>/<name> for a Hub model")
    _require_hf()
    started = time.perf_counter()
    if local.is_dir():
        model, tokenizer = _load_dir(local, options)
        identity = {"path": str(local.resolve()), "config_hash": _sha256(local / "config.json"),
                    "weights": _weights_fingerprint(local)}
        name = local.name
    else:
        revision = settings.revision
        try:
            model, tokenizer = _load_dir(rest, options, revision=revision)
        except OSError as exc:
            raise ModelError(f"could not load '{rest}' from the Hugging Face Hub or its local cache "
                             f"(offline, or an unknown id?): {exc}") from exc
        identity = {"repo": rest, "revision": getattr(model.config, "_commit_hash", None) or revision}
        name = rest
    progress(f"loaded {name} in {time.perf_counter() - started:.1f} s")
    info = _info(name, "hf", identity, model, tokenizer, options, {})
    return HFModel(model, tokenizer, info, options)


def _require_hf(*also: str) -> None:
    """Fail early, with the install hint, if torch/transformers (or `also`) are absent.

    Found by spec, not imported: importing torch takes seconds and is done when needed.
    """
    for name in ("torch", "transformers", *also):
        if importlib.util.find_spec(name) is None:
            raise MissingDependencyError(name, "the transformers model adapter", extra="hf")


def _load_dir(source: str | Path, options: ModelOptions, revision: str | None = None) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(source), revision=revision)
    model = AutoModelForCausalLM.from_pretrained(str(source), revision=revision, dtype=torch.float32)
    model.to(options.device or "cpu")
    model.eval()
    return model, tokenizer


def _info(name: str, adapter: str, identity: dict[str, Any], model: Any, tokenizer: Any,
          options: ModelOptions, details: dict[str, Any]) -> ModelInfo:
    import transformers

    return ModelInfo(
        name=name,
        adapter=adapter,
        identity=identity,
        parameters=sum(p.numel() for p in model.parameters()),
        has_chat_template=bool(getattr(tokenizer, "chat_template", None)),
        details={**details, "architecture": type(model).__name__, "dtype": "float32",
                 "device": options.device or "cpu", "max_length": _max_length(model, tokenizer),
                 "transformers": transformers.__version__},
    )


def _max_length(model: Any, tokenizer: Any) -> int:
    configured = getattr(model.config, "max_position_embeddings", None)
    if configured:
        return int(configured)
    # Tokenizers without a limit report a huge sentinel (about 1e30).
    limit = getattr(tokenizer, "model_max_length", None)
    return int(limit) if limit and limit < 1_000_000 else _FALLBACK_MAX_LENGTH


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _weights_fingerprint(directory: Path) -> str:
    """Names and sizes of the weight files: cheap, and changes when the weights are replaced."""
    files = sorted(p for pattern in ("*.safetensors", "*.bin") for p in directory.glob(pattern))
    return stable_hash([[p.name, p.stat().st_size] for p in files])[:16]
