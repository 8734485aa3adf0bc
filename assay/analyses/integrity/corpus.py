"""Stream a text corpus larger than memory: files, folders, globs, JSONL and Parquet text
columns, gzip, and Hugging Face datasets (`hf:NAME`, when the Hub is reachable).

A corpus is read as `Document`s (a piece of text and where it came from). A file that cannot
be read, looks binary, or is not valid UTF-8 is skipped and counted (`CorpusStats.skipped`,
with one warning each), or stops the scan with a `DataError` naming it when `strict`.
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from assay.errors import ConfigError, DataError, MissingDependencyError

CHUNK_BYTES = 8 * 2**20
"""Plain text is read this many bytes at a time; a chunk ends at a whitespace so no word is cut."""

OVERLAP_BYTES = 64 * 1024
"""Each chunk of a large text file starts with this much of the previous one (from a word
boundary), so an item that straddles two chunks is still found whole."""


@dataclass(frozen=True)
class Document:
    """A piece of corpus text; `source` is 'path', 'path:line' (JSONL), 'path#row' (Parquet)
    or 'path@byte' (a chunk of a large text file); `n_bytes` the bytes of input it stands for."""

    text: str
    source: str
    n_bytes: int


@dataclass
class CorpusStats:
    """What a scan read: files and documents, bytes, and what it skipped and why."""

    files: int = 0
    documents: int = 0
    bytes: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(source, reason) for each skipped file or line."""


def expand_paths(paths: Sequence[str]) -> list[Path]:
    """Files named by `paths` (files, folders walked recursively, glob patterns), sorted per
    argument. A path that names nothing is an error: a typo must not read as a clean corpus."""
    files: list[Path] = []
    for raw in paths:
        if raw.startswith("hf:"):
            continue
        p = Path(raw).expanduser()
        if p.is_dir():
            files += sorted(q for q in p.rglob("*") if q.is_file())
        elif p.exists():
            files.append(p)
        else:
            matched = sorted(Path(m) for m in glob.glob(raw, recursive=True) if Path(m).is_file())
            if not matched:
                raise ConfigError(f"corpus path {raw!r} names no file", field="corpus",
                                  hint="give files, folders, glob patterns or hf:DATASET")
            files += matched
    return files


def corpus_size(paths: Sequence[str]) -> int:
    """Total bytes on disk of the corpus's files (0 for Hub datasets, whose size is unknown)."""
    total = 0
    for p in expand_paths(paths):
        try:
            total += p.stat().st_size
        except OSError:
            pass
    return total


class _Skip(Exception):
    """A file or line to skip, with the reason."""


def _kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    return "text"


def _open_binary(path: Path):  # type: ignore[no-untyped-def]
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _check_text(data: bytes, where: str) -> str:
    if b"\x00" in data[:8192]:
        raise _Skip("binary file (NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Skip(f"not UTF-8 (byte {exc.start} of {where})") from None


def _text_documents(path: Path) -> Iterator[Document]:
    offset = 0
    carry = b""
    overlap = b""  # the end of the previous chunk, read again so no match is cut at a chunk edge
    with _open_binary(path) as fh:
        while True:
            block = fh.read(CHUNK_BYTES)
            if not block and not carry:
                return
            data = carry + block
            at_end = len(block) < CHUNK_BYTES  # a short read is the end of the file (files and gzip read fully)
            if not at_end:  # more follows: cut at the last space so no word is split across chunks
                cut = max(data.rfind(b" "), data.rfind(b"\n"))
                if cut <= 0:
                    cut = len(data)
                data, carry = data[:cut], data[cut:]
            else:
                carry = b""
            text = _check_text(overlap + data, f"the chunk at byte {offset}")
            chunked = offset > 0 or not at_end
            yield Document(text, f"{path}@{offset}" if chunked else str(path), len(data))
            offset += len(data)
            if at_end:
                return
            tail = data[-OVERLAP_BYTES:]
            space = max(tail.find(b" "), tail.find(b"\n")) if len(data) > OVERLAP_BYTES else 0
            overlap = tail[space:] if space >= 0 else b""


def _jsonl_documents(path: Path, text_field: str, bad_line: Callable[[str, str], None]) -> Iterator[Document]:
    with _open_binary(path) as fh:
        head = fh.peek(8192)[:8192] if hasattr(fh, "peek") else b""
        if b"\x00" in head:
            raise _Skip("binary file (NUL bytes)")
        for number, raw in enumerate(fh, start=1):
            where = f"{path}:{number}"
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                bad_line(where, f"not a JSON object in UTF-8 ({exc.__class__.__name__})")
                continue
            value = row.get(text_field) if isinstance(row, dict) else None
            if not isinstance(value, str):
                bad_line(where, f"no string field {text_field!r}")
                continue
            yield Document(value, where, len(raw))


def _parquet_documents(path: Path, text_field: str) -> Iterator[Document]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise _Skip(f"not a Parquet file ({exc})") from None
    if text_field not in parquet.schema_arrow.names:
        raise _Skip(f"no column {text_field!r} (columns: {', '.join(parquet.schema_arrow.names)})")
    size = path.stat().st_size
    rows = max(1, parquet.metadata.num_rows)
    row = 0
    for batch in parquet.iter_batches(columns=[text_field], batch_size=4096):
        for value in batch.column(0).to_pylist():
            if isinstance(value, str):
                yield Document(value, f"{path}#{row}", size // rows)
            row += 1


def _hf_documents(name: str, text_field: str) -> Iterator[Document]:
    try:
        import datasets
    except ImportError:
        raise MissingDependencyError("datasets", "reading a Hugging Face dataset as a corpus", "datasets") from None
    dataset_name, _, split = name.partition(":")
    try:
        stream = datasets.load_dataset(dataset_name, split=split or "train", streaming=True)
        for number, row in enumerate(stream):
            value = row.get(text_field)
            if isinstance(value, str):
                yield Document(value, f"hf:{dataset_name}#{number}", len(value.encode("utf-8")))
    except Exception as exc:  # offline, unknown dataset, gated: one message
        raise ConfigError(f"could not stream Hugging Face dataset {dataset_name!r}: {exc}", field="corpus",
                          hint="the Hub must be reachable; otherwise download it and pass the files") from None


def stream_corpus(paths: Sequence[str], stats: CorpusStats, *, text_field: str = "text", strict: bool = False,
                  warn: Callable[[str], None] | None = None,
                  on_bytes: Callable[[int], None] | None = None) -> Iterator[Document]:
    """Every document of the corpus, in path order. Updates `stats` as it goes; `on_bytes`
    is told of each file's bytes as they are read (for a progress bar)."""

    def skip(where: str, reason: str) -> None:
        if strict:
            raise DataError(f"corpus {where}: {reason}", file=where.split(":")[0].split("@")[0],
                            hint="fix or remove the file, or drop --strict to skip it")
        stats.skipped.append((where, reason))
        if warn is not None:
            warn(f"skipped {where}: {reason}")

    for raw in paths:
        if raw.startswith("hf:"):
            for doc in _hf_documents(raw[3:], text_field):
                stats.documents += 1
                stats.bytes += doc.n_bytes
                yield doc
    for path in expand_paths(paths):
        kind = _kind(path)
        stats.files += 1
        try:
            if kind == "jsonl":
                docs = _jsonl_documents(path, text_field, skip)
            elif kind == "parquet":
                docs = _parquet_documents(path, text_field)
            else:
                docs = _text_documents(path)
            read = 0
            for doc in docs:
                stats.documents += 1
                stats.bytes += doc.n_bytes
                read += doc.n_bytes
                if on_bytes is not None:
                    on_bytes(doc.n_bytes)
                yield doc
        except _Skip as why:
            skip(str(path), str(why))
        except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
            skip(str(path), f"unreadable ({exc.__class__.__name__}: {exc})")
        else:
            continue
        if on_bytes is not None:  # the rest of a skipped file counts as read, for the progress bar
            try:
                on_bytes(max(0, os.path.getsize(path) - read))
            except OSError:
                pass


def read_texts(paths: Sequence[str], text_field: str = "text") -> list[tuple[str, str]]:
    """(source, text) items from files: one per JSONL row or Parquet row, one per paragraph
    (blank-line separated) of a text file. For known-clean or known-seen item sets, which fit
    in memory; a bad file is an error here, not skipped, since every item counts."""
    out: list[tuple[str, str]] = []
    for doc in stream_corpus(paths, CorpusStats(), text_field=text_field, strict=True):
        if _kind(Path(doc.source.split("@")[0].split(":")[0].split("#")[0])) == "text":
            paragraphs = [p.strip() for p in doc.text.split("\n\n")]
            out += [(f"{doc.source}¶{i}", p) for i, p in enumerate(paragraphs) if p]
        elif doc.text.strip():
            out.append((doc.source, doc.text))
    if not out:
        raise DataError(f"no text in {', '.join(paths)}", field="texts")
    return out
