"""Idealized runtime from a roofline: what each request would take on this machine if the
backend ran at the hardware's peak compute or memory bandwidth, whichever binds.

*Cheaply Evaluating Inference Efficiency Metrics* (HELM's idealized runtime) argues that raw
runtimes mix the model with the serving stack and contention; a model's cost should be
stated as if served on uniform hardware and software. The roofline gives that bound from
first principles: per token, FLOPs = 2 × (matmul parameters) + the attention over the
context (4 × layers × position × attention width); bytes = the weights once per forward
pass (decoding re-reads them for every token: *MELT* and *Dissecting runtime* find decoding
memory-bound) plus the KV cache read at that position. The machine's peaks come from a
short microbenchmark (a float32 matmul for FLOP/s, a large array copy for bandwidth).

ideal(request) = max(prefill FLOPs / peak, weight bytes / bandwidth)
               + Σ over output tokens max(token FLOPs / peak, (weights + KV) bytes / bandwidth)

The measured/ideal ratio then says, as one number, how far a backend is from the hardware.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np


@dataclass(frozen=True)
class ModelShape:
    """What the roofline needs of a decoder-only transformer."""

    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    vocab: int
    n_params: int
    weight_bytes: float
    """Bytes of weights read per forward pass (quantized sizes for GGUF in llama.cpp, fp32 for
    weights transformers de-quantized)."""
    kv_bytes_per_value: float = 2.0

    @property
    def d_head(self) -> int:
        return self.d_model // max(1, self.n_heads)

    @property
    def matmul_params(self) -> float:
        """Parameters used in matmuls per token: all of them. In a model with tied embeddings
        (all three bundled models) the embedding matrix is the output head, a matmul; an
        untied model is overcounted by one vocab × width lookup table, a small share."""
        return float(self.n_params) if self.n_params else 0.0

    def token_flops(self, position: int) -> float:
        """Forward FLOPs of the token at `position` (1-based): 2 per matmul parameter, plus
        QK^T and attention-weighted V over `position` keys (2 × 2 × layers × position × width)."""
        return 2.0 * self.matmul_params + 4.0 * self.n_layers * position * self.n_heads * self.d_head

    def kv_bytes(self, position: int) -> float:
        """Bytes of keys and values read at `position`."""
        return 2.0 * self.n_layers * position * self.n_kv_heads * self.d_head * self.kv_bytes_per_value

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Machine:
    """Peak float32 FLOP/s and memory bandwidth (bytes/s) measured on this machine."""

    peak_flops: float
    bandwidth: float
    threads: int
    load_avg: tuple[float, float, float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure_machine(seconds: float = 1.0, matrix: int = 1024, copy_mib: int = 256) -> Machine:
    """Peak FLOP/s (best of repeated float32 `matrix`² matmuls, numpy's threaded BLAS) and
    bandwidth (best of repeated copies of a `copy_mib` MiB array: read + write bytes).
    Best-of, because contention only ever slows a run; the load average is kept with it."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((matrix, matrix), dtype=np.float32)
    b = rng.standard_normal((matrix, matrix), dtype=np.float32)
    a @ b  # warm up BLAS threads
    best = 0.0
    deadline = time.perf_counter() + seconds / 2
    while True:
        t = time.perf_counter()
        a @ b
        best = max(best, 2.0 * matrix ** 3 / (time.perf_counter() - t))
        if time.perf_counter() > deadline:
            break
    src = np.ones(copy_mib * 1024 * 1024 // 8, dtype=np.float64)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    bw = 0.0
    deadline = time.perf_counter() + seconds / 2
    while True:
        t = time.perf_counter()
        np.copyto(dst, src)
        bw = max(bw, 2.0 * src.nbytes / (time.perf_counter() - t))
        if time.perf_counter() > deadline:
            break
    return Machine(best, bw, os.cpu_count() or 1, tuple(round(x, 2) for x in os.getloadavg()))  # type: ignore[arg-type]


def ideal_seconds(shape: ModelShape, machine: Machine, tokens_in: int, tokens_out: int) -> float:
    """The roofline time of one request: prefill of `tokens_in` tokens, then `tokens_out`
    decoding steps (each bound by compute or by reading weights and KV cache)."""
    p = max(0, int(tokens_in))
    prefill_flops = 2.0 * shape.matmul_params * p + 2.0 * shape.n_layers * shape.n_heads * shape.d_head * p * (p + 1)
    total = max(prefill_flops / machine.peak_flops, shape.weight_bytes / machine.bandwidth) if p else 0.0
    if tokens_out > 0:
        positions = np.arange(p + 1, p + int(tokens_out) + 1, dtype=float)
        flops = 2.0 * shape.matmul_params + 4.0 * shape.n_layers * positions * shape.n_heads * shape.d_head
        bytes_ = shape.weight_bytes + 2.0 * shape.n_layers * positions * shape.n_kv_heads * shape.d_head \
            * shape.kv_bytes_per_value
        total += float(np.maximum(flops / machine.peak_flops, bytes_ / machine.bandwidth).sum())
    return total


# --- where shapes come from --------------------------------------------------------------

def shape_from_hf_config(config: Any, n_params: int, bytes_per_param: float) -> ModelShape:
    """From a transformers config (`hidden_size`, `num_hidden_layers`, …)."""
    get = config.get if isinstance(config, Mapping) else (lambda k, d=None: getattr(config, k, d))
    heads = int(get("num_attention_heads"))
    return ModelShape(
        n_layers=int(get("num_hidden_layers")), d_model=int(get("hidden_size")), n_heads=heads,
        n_kv_heads=int(get("num_key_value_heads", None) or heads), vocab=int(get("vocab_size")),
        n_params=int(n_params), weight_bytes=float(n_params) * bytes_per_param,
        kv_bytes_per_value=bytes_per_param if bytes_per_param >= 2 else 2.0)


def shape_from_gguf_metadata(meta: Mapping[str, Any], n_params: int, file_bytes: int) -> ModelShape:
    """From GGUF metadata (`ARCH.block_count`, `ARCH.embedding_length`, …); the weights read
    per pass are the file's tensors (quantized), the KV cache f16 (llama.cpp's default)."""
    arch = str(meta.get("general.architecture", "llama"))

    def num(key: str, default: Any = None) -> int:
        value = meta.get(f"{arch}.{key}", default)
        if value is None:
            raise KeyError(f"GGUF metadata lacks {arch}.{key}")
        return int(value)

    heads = num("attention.head_count")
    vocab = meta.get(f"{arch}.vocab_size") or 0
    return ModelShape(
        n_layers=num("block_count"), d_model=num("embedding_length"), n_heads=heads,
        n_kv_heads=num("attention.head_count_kv", heads), vocab=int(vocab), n_params=int(n_params),
        weight_bytes=float(file_bytes), kv_bytes_per_value=2.0)


def model_shape(model: Any) -> ModelShape:
    """The shape of a loaded bundled-style adapter: `hf` (its transformers model) or
    `llamacpp` (its GGUF metadata). Other adapters (APIs) have no shape to read: ValueError."""
    hf = getattr(model, "hf_model", None)
    if hf is not None:
        params = list(hf.parameters())
        n = sum(int(p.numel()) for p in params)
        size = params[0].element_size() if params else 4
        return shape_from_hf_config(hf.config, n, float(size))
    llm = getattr(model, "llm", None)
    if llm is not None:
        n_params = int(llm._model.n_params()) if hasattr(llm, "_model") else 0
        path = getattr(model, "path", None)
        size = Path(path).stat().st_size if path is not None else int(llm._model.size())
        return shape_from_gguf_metadata(llm.metadata, n_params, size)
    raise ValueError(f"no architecture to read for {getattr(getattr(model, 'info', None), 'name', model)!r}: "
                     "the roofline needs a local hf or llamacpp model")
