"""Integrity audits: is a benchmark's score inflated by contamination?

- `corpus`: stream a corpus (files, folders, globs, JSONL/Parquet, Hub datasets).
- `overlap`: exact n-gram and MinHash near-duplicate overlap of items with a corpus.
"""

from assay.analyses.integrity.corpus import CorpusStats, Document, stream_corpus
from assay.analyses.integrity.overlap import (
    ItemOverlap, ItemText, OverlapConfig, OverlapReport, normalise_words, scan_overlap, task_items,
)

__all__ = ["CorpusStats", "Document", "ItemOverlap", "ItemText", "OverlapConfig", "OverlapReport",
           "normalise_words", "scan_overlap", "stream_corpus", "task_items"]
