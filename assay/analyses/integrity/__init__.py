"""Integrity audits: is a benchmark's score inflated by contamination?

- `corpus`: stream a corpus (files, folders, globs, JSONL/Parquet, gzip, Hub datasets).
- `overlap`: exact n-gram and MinHash near-duplicate overlap of items with a corpus.
- `membership`: perplexity, zlib, Min-K%, Min-K%++ and reference scores; AUROC against and
  thresholds calibrated on known-clean items, each with its measured false-positive rate.
- `probes`: surely-seen and surely-unseen passages to measure a detector with.
- `guessing`: TS-Guessing (masked wrong option or rare word).
- `rewrites`: the rewrite gap (originals vs answer-preserving rewrites, paired).
- `clean`: the clean-subset score and its paired difference from the full score.
- `audit`: the audit file the checks write and the report that joins it with runs.
"""

from assay.analyses.integrity.audit import TaskIntegrity, integrity_rows, load_audit, save_section
from assay.analyses.integrity.clean import CleanSubsetScore, clean_subset_score
from assay.analyses.integrity.corpus import CorpusStats, Document, stream_corpus
from assay.analyses.integrity.guessing import GuessItem, GuessReport, guess_items, run_guessing
from assay.analyses.integrity.membership import (
    ItemMembership, MembershipFlags, MembershipScore, flag_items, score_membership, separation,
)
from assay.analyses.integrity.overlap import (
    ItemOverlap, ItemText, OverlapConfig, OverlapReport, normalise_words, scan_overlap, task_items,
)
from assay.analyses.integrity.probes import seen_passages, unseen_passages
from assay.analyses.integrity.rewrites import run_rewrite_gap

__all__ = ["CleanSubsetScore", "CorpusStats", "Document", "GuessItem", "GuessReport", "ItemMembership",
           "ItemOverlap", "ItemText", "MembershipFlags", "MembershipScore", "OverlapConfig", "OverlapReport",
           "TaskIntegrity", "clean_subset_score", "flag_items", "guess_items", "integrity_rows", "load_audit",
           "normalise_words", "run_guessing", "run_rewrite_gap", "save_section", "scan_overlap", "score_membership",
           "seen_passages", "separation", "stream_corpus", "task_items", "unseen_passages"]
