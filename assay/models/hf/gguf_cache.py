"""The converted-weights cache: a GGUF file de-quantized once into fp32 safetensors.

transformers loads a GGUF (`from_pretrained(dir, gguf_file=name)`) by de-quantizing every
tensor, and builds its tokenizer from the GGUF vocabulary: ~25-40 s for SmolLM2-135M,
~60 s for Gemma-3-270M on 2 cores. The result is saved once with `save_pretrained` under

    converted_dir()/<first 16 hex of the GGUF's sha256>/

and later loads read those safetensors in about a second. The directory is written under a
temporary name and renamed into place, so a crash mid-save never leaves a half cache: a
directory with the final name is complete by construction.

The GGUF's sha256 (the cache key) comes from `assay.models.files.file_sha256`, which
computes it once per file version.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from assay.models.base import ProgressCallback
from assay.paths import converted_dir

_MARKER = "assay-converted.json"
"""Written last inside a converted directory: records where the weights came from."""

_SECONDS_PER_MB = 0.25
"""Rough conversion cost on 2 CPU cores (SmolLM2: 93 MB in ~25 s; Gemma: 253 MB in ~60 s)."""


def converted_path(gguf_sha256: str) -> Path:
    """Where the converted copy of the GGUF with this sha256 lives (it may not exist yet)."""
    return converted_dir() / gguf_sha256[:16]


def is_converted(directory: Path) -> bool:
    """Whether `directory` holds a complete converted model (marker, config and weights)."""
    return (
        (directory / _MARKER).is_file()
        and (directory / "config.json").is_file()
        and any(directory.glob("*.safetensors"))
    )


def ensure_converted(gguf: Path, gguf_sha256: str, progress: ProgressCallback) -> Path:
    """Return the converted directory for `gguf`, converting it first if needed.

    Conversion loads the GGUF with transformers (model and tokenizer), clears the GGUF
    quantizer marker that makes `save_pretrained` refuse, and saves fp32 safetensors plus
    the tokenizer into a temporary directory that is then renamed into place.
    """
    target = converted_path(gguf_sha256)
    if is_converted(target):
        return target
    size_mb = gguf.stat().st_size / 1e6
    estimate = max(10, int(round(size_mb * _SECONDS_PER_MB, -1)))
    progress(f"converting GGUF to fp32 (about {estimate} s, once; cached at {target})")
    started = time.perf_counter()
    tmp = target.parent / f".tmp-{target.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _convert(gguf, tmp)
        marker = {"gguf": str(gguf.resolve()), "gguf_sha256": gguf_sha256, **_versions()}
        (tmp / _MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
        try:
            tmp.rename(target)
        except OSError:
            # Another process finished the same conversion first; its copy is as good.
            if not is_converted(target):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    progress(f"converted GGUF in {time.perf_counter() - started:.0f} s")
    return target


def _convert(gguf: Path, out: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # The weights are already fp32 in memory; what blocks save_pretrained is only the
    # GGUF quantizer bookkeeping, which does not describe the de-quantized tensors.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    out.mkdir(parents=True)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))


def _versions() -> dict[str, Any]:
    import torch
    import transformers

    return {"transformers": transformers.__version__, "torch": torch.__version__}
