"""Overlap of benchmark items with a corpus: exact n-gram matches and MinHash near-duplicates.

Exact: every item's word n-grams (n = 13 by default, as GPT-3's and lm-eval's
decontamination use) on normalised text (NFKC, lower case, words only) are hashed into one
sorted array; the corpus is streamed and each of its n-grams looked up, and every hit is
re-checked word for word (a 64-bit hash can collide). An item is flagged when any of its
n-grams occurs in the corpus; its coverage (the share of its n-grams found) and longest
matching span with its source are kept.

Near-duplicate: items and corpus windows (the item lengths rounded to powers of two, a quarter window apart)
become MinHash signatures of word 5-gram shingles; `datasketch.MinHashLSH` proposes pairs and
each is re-checked by the exact Jaccard similarity of the two shingle sets, since LSH both
misses and invents pairs (datasketch's maintainer: issues #105, #140).
"""

from __future__ import annotations

import math
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from assay.analyses.integrity.corpus import CorpusStats, Document, corpus_size, stream_corpus
from assay.core.messages import ChatMessage
from assay.core.task import Task
from assay.errors import ConfigError, DataError
from assay.stats import Interval, proportion_ci

_PRIME = np.uint64(1099511628211)
_BITMAP_SIZE = 1 << 24  # FNV prime: an odd multiplier for the rolling n-gram hash


@dataclass(frozen=True)
class ItemText:
    """The text of one benchmark item to look for: question, options and a text answer."""

    task: str
    id: str
    text: str


@dataclass(frozen=True)
class OverlapConfig:
    """`n`: n-gram length in words; `near_duplicates`: also run MinHash LSH; `threshold`:
    the exact Jaccard a near-duplicate must reach; `shingle`: words per MinHash shingle."""

    n: int = 13
    near_duplicates: bool = True
    threshold: float = 0.5
    shingle: int = 5
    num_perm: int = 128
    text_field: str = "text"
    strict: bool = False


@dataclass
class ItemOverlap:
    """What the scan found for one item. `coverage` = matched / n-grams; `jaccard` the best
    exact Jaccard with a corpus window (0 when none was proposed)."""

    task: str
    id: str
    n_ngrams: int
    matched: int = 0
    span: str = ""
    span_source: str = ""
    jaccard: float = 0.0
    near_source: str = ""
    near_span: str = ""
    threshold: float = 0.5

    @property
    def coverage(self) -> float:
        return self.matched / self.n_ngrams if self.n_ngrams else 0.0

    @property
    def exact(self) -> bool:
        return self.matched > 0

    @property
    def near(self) -> bool:
        return self.jaccard >= self.threshold

    @property
    def flagged(self) -> bool:
        return self.exact or self.near

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "id": self.id, "flagged": self.flagged, "exact": self.exact, "near": self.near,
                "n_ngrams": self.n_ngrams, "matched": self.matched, "coverage": self.coverage, "span": self.span,
                "span_source": self.span_source, "jaccard": self.jaccard, "near_source": self.near_source,
                "near_span": self.near_span}


@dataclass
class OverlapReport:
    """Per-item flags, the flagged share with its interval, and what was read how fast."""

    items: list[ItemOverlap]
    config: OverlapConfig
    corpus: CorpusStats
    seconds: float
    flagged_rate: Interval = field(init=False)

    def __post_init__(self) -> None:
        self.flagged_rate = proportion_ci(sum(i.flagged for i in self.items), len(self.items))

    @property
    def flagged(self) -> list[ItemOverlap]:
        return [i for i in self.items if i.flagged]

    @property
    def mb_per_s(self) -> float:
        return self.corpus.bytes / 1e6 / self.seconds if self.seconds > 0 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        r = self.flagged_rate
        return {"n_items": len(self.items), "n_flagged": len(self.flagged),
                "n_exact": sum(i.exact for i in self.items), "n_near": sum(i.near for i in self.items),
                "flagged_rate": r.estimate, "ci_low": r.low, "ci_high": r.high,
                "n": self.config.n, "threshold": self.config.threshold,
                "corpus_files": self.corpus.files, "corpus_documents": self.corpus.documents,
                "corpus_bytes": self.corpus.bytes, "skipped": [list(s) for s in self.corpus.skipped],
                "seconds": self.seconds, "mb_per_s": self.mb_per_s,
                "items": [i.to_dict() for i in self.items]}


# Words are runs of ASCII letters, digits and underscores, and of non-ASCII characters
# (after NFKC and lower-casing, with common Unicode punctuation turned into spaces). Done
# with bytes.translate and split rather than a regex: the corpus pass is bound by this step,
# and translate/split run ~5x faster than re.findall(r"\w+") on the same text.
_ASCII_TABLE = bytes(c if (c >= 128 or chr(c).isalnum() or c == 95) else 32 for c in range(256))
_UNICODE_PUNCTUATION = {ord(c): " " for c in "\u00a0\u2000\u2001\u2002\u2003\u2009\u200b\u2010\u2011\u2012\u2013"
                                                 "\u2014\u2015\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f"
                                                 "\u2026\u00ab\u00bb\u2039\u203a\u00b7\u2022\u00bf\u00a1\u3000"
                                                 "\u3001\u3002\uff0c\uff0e"}


def _words(text: str) -> list[bytes]:
    if text.isascii():
        data = text.encode("ascii").lower()
    else:
        data = unicodedata.normalize("NFKC", text).lower().translate(_UNICODE_PUNCTUATION).encode("utf-8")
    return data.translate(_ASCII_TABLE).split()


def normalise_words(text: str) -> list[str]:
    """The words of `text` after NFKC and lower-casing: punctuation, case and spacing never
    hide an overlap."""
    return [w.decode("utf-8") for w in _words(text)]


def _word_ids(words: Sequence[bytes] | Sequence[str]) -> np.ndarray:
    # Python's hash is salted per process, which is fine: items and corpus are hashed in
    # the same process, and every hit is re-checked word for word.
    return np.fromiter(map(hash, words), dtype=np.int64, count=len(words)).view(np.uint64)


def ngram_hashes(ids: np.ndarray, n: int) -> np.ndarray:
    """A 64-bit hash of each window of `n` consecutive word ids (shape (len - n + 1,))."""
    count = ids.size - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    h = np.zeros(count, dtype=np.uint64)
    for j in range(n):  # polynomial hash, wrapping mod 2**64
        h = h * _PRIME + ids[j:j + count]
    return h


def sample_text(sample: Any) -> str:
    """The text of a sample a corpus could contain: its input (or its messages), its options
    and a text answer."""
    parts: list[str] = []
    if isinstance(sample.input, str):
        parts.append(sample.input)
    else:
        parts += [m.content for m in sample.input if isinstance(m, ChatMessage)]
    parts += list(sample.choices or ())
    if isinstance(sample.target, str):
        parts.append(sample.target)
    return "\n".join(p for p in parts if p)


def task_items(tasks: Sequence[Task], limit: int | None = None) -> list[ItemText]:
    """The items of `tasks` as texts to look for. A task none of whose items has any word of
    text is refused: there is nothing to match."""
    items: list[ItemText] = []
    for task in tasks:
        samples = list(task.load())[:limit]
        texts = [ItemText(task.name, s.id, sample_text(s)) for s in samples]
        if not any(normalise_words(t.text) for t in texts):
            raise DataError(f"task {task.name!r}: its items have no text to match against a corpus",
                            field="input", hint="overlap needs items with a text question, options or answer")
        items += texts
    return items


class _Index:
    """Sorted n-gram hashes of all items, with where each occurs."""

    def __init__(self, words: list[list[bytes]], n: int) -> None:
        hashes, owners = [], []
        for k, w in enumerate(words):
            h = ngram_hashes(_word_ids(w), n)
            hashes.append(h)
            owners.append(np.stack([np.full(h.size, k), np.arange(h.size)], axis=1) if h.size else np.zeros((0, 2), int))
        all_h = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)
        order = np.argsort(all_h, kind="stable")
        self.hashes = all_h[order]
        self.owners = np.concatenate(owners)[order] if owners else np.zeros((0, 2), int)
        # A bitmap of the hashes' low bits: one gather rules out almost every corpus n-gram,
        # and only the few that pass are binary-searched (the search alone was 7x slower).
        self.bits = np.zeros(_BITMAP_SIZE, dtype=bool)
        self.bits[(self.hashes & np.uint64(_BITMAP_SIZE - 1)).astype(np.intp)] = True

    def lookup(self, h: np.ndarray) -> np.ndarray:
        """Positions in `h` whose hash is some item's."""
        if self.hashes.size == 0 or h.size == 0:
            return np.zeros(0, dtype=np.int64)
        maybe = np.flatnonzero(self.bits[(h & np.uint64(_BITMAP_SIZE - 1)).astype(np.intp)])
        at = np.searchsorted(self.hashes, h[maybe]).clip(0, self.hashes.size - 1)
        return maybe[self.hashes[at] == h[maybe]]

    def owners_of(self, value: np.uint64) -> np.ndarray:
        lo = np.searchsorted(self.hashes, value, side="left")
        hi = np.searchsorted(self.hashes, value, side="right")
        return self.owners[lo:hi]


class _NearIndex:
    """MinHash LSH over the items' shingle sets, and windows of corpus text to query it with."""

    def __init__(self, words: list[list[bytes]], config: OverlapConfig) -> None:
        from datasketch import MinHash, MinHashLSH

        self._minhash = MinHash
        self.config = config
        # Proposals at half the threshold: a window is cut at fixed places and its length is
        # the median item's, so a true near-duplicate can look less similar to it than to an
        # aligned window; the exact re-check below decides.
        self.lsh = MinHashLSH(threshold=config.threshold / 2, num_perm=config.num_perm)
        self.shingles: list[set[int]] = []
        self.lengths = [len(w) for w in words]
        for w in words:
            self.shingles.append(self._shingles(w))
        template = self._minhash(num_perm=config.num_perm, hashfunc=int)
        self._permutations, self._scheme = template.permutations, template.scheme
        for k, s in enumerate(self.shingles):
            if s:
                self.lsh.insert(k, self._signature(s))
        known = np.fromiter((h for s in self.shingles for h in s), dtype=np.uint64)
        self.known = np.zeros(_BITMAP_SIZE, dtype=bool)  # a prefilter: collisions only add proposals
        self.known[(known & np.uint64(_BITMAP_SIZE - 1)).astype(np.intp)] = True
        smallest = min((len(s) for s in self.shingles if s), default=1)
        self.min_shared = max(1, min(2, int(smallest * config.threshold / 2)))
        # Windows come in the items' lengths rounded to powers of two, so an item is compared
        # with windows between ~0.7x and ~1.4x its length, never diluted in a much longer one.
        self.windows = sorted({max(config.shingle + 1, 2 ** round(math.log2(len(w)))) for w in words if w})

    def _shingle_array(self, words: Sequence[bytes]) -> np.ndarray:
        return ngram_hashes(_word_ids(words), self.config.shingle) & np.uint64(0xFFFFFFFF)

    def _shingles(self, words: Sequence[bytes]) -> set[int]:
        return set(self._shingle_array(words).tolist())

    def _signature(self, shingles: set[int]) -> Any:
        m = self._minhash(num_perm=self.config.num_perm, hashfunc=int, permutations=self._permutations,
                          scheme=self._scheme)
        m.update_batch(list(shingles))
        return m

    def scan(self, words: list[bytes], source: str, found: list[ItemOverlap]) -> None:
        sh = self._shingle_array(words)
        if sh.size == 0:
            return
        # A window that shares fewer than `min_shared` shingles with every item together
        # cannot be a near-duplicate of any: it is skipped before MinHash, which is what
        # keeps this pass near the speed of the exact one on ordinary text.
        shared = np.r_[0, np.cumsum(self.known[(sh & np.uint64(_BITMAP_SIZE - 1)).astype(np.intp)])]
        for window in self.windows:
            span = window - self.config.shingle + 1
            for start in range(0, max(1, sh.size - span + 1), max(1, window // 4)):
                stop = min(sh.size, start + span)
                if shared[stop] - shared[start] < self.min_shared:
                    continue
                s = set(sh[start:stop].tolist())
                for k in self.lsh.query(self._signature(s)):
                    jaccard, text = self._best_aligned(k, words, start, window)
                    if jaccard > found[k].jaccard:
                        found[k].jaccard, found[k].near_source, found[k].near_span = jaccard, source, text

    def _best_aligned(self, k: int, words: list[bytes], start: int, window: int) -> tuple[float, str]:
        """The exact Jaccard of item k with the most similar stretch of its own length near
        the proposed window (stepping an eighth of its length), and that stretch."""
        item, n = self.shingles[k], self.lengths[k]
        lo, hi = max(0, start - n), min(len(words), start + window + n)
        best, best_span = 0.0, ""
        for at in range(lo, max(lo + 1, hi - n + 1), max(1, n // 8)):
            stretch = words[at:at + n]
            s = self._shingles(stretch)
            jaccard = len(item & s) / len(item | s) if s else 0.0
            if jaccard > best:
                best, best_span = jaccard, _join(stretch)
        return best, best_span


def _join(words: Sequence[bytes]) -> str:
    return b" ".join(words).decode("utf-8", errors="replace")


def _record_exact(doc: Document, words: list[bytes], hits: np.ndarray, h: np.ndarray, index: _Index,
                  item_words: list[list[bytes]], matched: list[np.ndarray], found: list[ItemOverlap], n: int) -> None:
    runs: dict[int, list[int]] = {}  # item -> corpus positions of verified hits
    for p in hits.tolist():
        for k, pos in index.owners_of(h[p]).tolist():
            if item_words[k][pos:pos + n] == words[p:p + n]:  # exact re-check of the hash hit
                matched[k][pos] = True
                runs.setdefault(k, []).append(p)
    for k, positions in runs.items():
        start = prev = positions[0]
        best = (positions[0], positions[0])
        for p in positions[1:] + [None]:  # type: ignore[list-item]
            if p is not None and p == prev + 1:
                prev = p
                continue
            if prev - start > best[1] - best[0]:
                best = (start, prev)
            if p is not None:
                start = prev = p
        span = words[best[0]:best[1] + n]
        if len(span) > len(found[k].span.split()):
            found[k].span, found[k].span_source = _join(span), doc.source


def scan_overlap(items: Sequence[ItemText], corpus: Sequence[str], config: OverlapConfig = OverlapConfig(),
                 progress: bool = False, warn: Callable[[str], None] | None = None) -> OverlapReport:
    """Flag each item found in the corpus (exact n-gram or near-duplicate). The corpus is read
    once, streamed; an empty corpus (nothing readable) is an error."""
    if config.n < 1 or config.shingle < 1 or not 0 < config.threshold <= 1:
        raise ConfigError("n and shingle must be at least 1 and the threshold in (0, 1]", field="n")
    if not corpus:
        raise ConfigError("no corpus given", field="corpus", hint="pass files, folders, globs or hf:DATASET")
    item_words = [_words(i.text) for i in items]
    index = _Index(item_words, config.n)
    found = [ItemOverlap(i.task, i.id, max(0, len(w) - config.n + 1), threshold=config.threshold)
             for i, w in zip(items, item_words)]
    matched = [np.zeros(f.n_ngrams, dtype=bool) for f in found]
    near = _NearIndex(item_words, config) if config.near_duplicates else None
    stats = CorpusStats()
    started = time.perf_counter()
    bar, advance = _progress_bar(corpus, progress)
    try:
        for doc in stream_corpus(corpus, stats, text_field=config.text_field, strict=config.strict, warn=warn,
                                 on_bytes=advance):
            words = _words(doc.text)
            h = ngram_hashes(_word_ids(words), config.n)
            hits = index.lookup(h)
            if hits.size:
                _record_exact(doc, words, hits, h, index, item_words, matched, found, config.n)
            if near is not None:
                near.scan(words, doc.source, found)
    finally:
        if bar is not None:
            bar.stop()
    seconds = time.perf_counter() - started
    if stats.documents == 0 or stats.bytes == 0:
        skipped = f" ({len(stats.skipped)} file(s) skipped)" if stats.skipped else ""
        raise DataError(f"the corpus is empty: no readable text in {', '.join(corpus)}{skipped}", field="corpus")
    for f, m in zip(found, matched):
        f.matched = int(m.sum())
    return OverlapReport(found, config, stats, seconds)


def _progress_bar(corpus: Sequence[str], show: bool) -> tuple[Any, Callable[[int], None] | None]:
    if not show:
        return None, None
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    bar = Progress(TextColumn("scanning corpus"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                   TimeRemainingColumn(), transient=True)
    task = bar.add_task("corpus", total=corpus_size(corpus) or None)
    bar.start()
    return bar, lambda n: bar.advance(task, n)
