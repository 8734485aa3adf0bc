"""Files the adapters share: a GGUF's sha256 computed once per file version, atomic writes.

The sha256 of a GGUF (hundreds of MB) is the model half of a cache key for every backend
that loads it (hf via the converted cache, llamacpp, the bundled aliases). It is cached in
a small sidecar keyed by the file's resolved path, size and mtime, so it is computed once.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from assay.core.hashing import stable_hash
from assay.paths import converted_dir


def file_sha256(path: Path) -> str:
    """sha256 hex digest of a file, cached by (resolved path, size, mtime_ns)."""
    path = path.resolve()
    stat = path.stat()
    key = stable_hash({"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    sidecar = _hash_dir() / f"{key[:32]}.json"
    if sidecar.is_file():
        try:
            return str(json.loads(sidecar.read_text(encoding="utf-8"))["sha256"])
        except (ValueError, KeyError, OSError):
            pass  # a damaged sidecar is recomputed, never trusted
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    sha = digest.hexdigest()
    write_atomic(sidecar, json.dumps({"path": str(path), "size": stat.st_size, "sha256": sha}))
    return sha


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary sibling and a rename, so readers never see half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _hash_dir() -> Path:
    path = converted_dir() / "sha256"
    path.mkdir(parents=True, exist_ok=True)
    return path
