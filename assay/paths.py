"""Where assay keeps things on disk: one home directory, overridable by `ASSAY_HOME`.

    $ASSAY_HOME (default ~/.cache/assay)
    ├── converted/<sha16>/     de-quantized GGUF weights as safetensors (fast reloads)
    ├── models/                assembled model files (e.g. the chunked Gemma GGUF)
    └── responses.sqlite       the response cache (WAL), keyed by model identity + request
"""

from __future__ import annotations

import os
from pathlib import Path


def assay_home() -> Path:
    root = Path(os.environ.get("ASSAY_HOME", Path.home() / ".cache" / "assay")).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def converted_dir() -> Path:
    path = assay_home() / "converted"
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    path = assay_home() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_cache_path() -> Path:
    return assay_home() / "responses.sqlite"
