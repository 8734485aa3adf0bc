"""Overlap audit on a small real corpus (Debian's licence texts) with planted overlaps."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from assay.analyses.integrity import ItemText, OverlapConfig, normalise_words, scan_overlap
from assay.analyses.integrity.overlap import ngram_hashes, _word_ids
from assay.errors import DataError

LICENCES = Path("/usr/share/common-licenses")
pytestmark = pytest.mark.skipif(not (LICENCES / "GPL-3").exists(), reason="Debian licence texts absent")

CLEAN = [
    "Mara stacked seven blue crates beside the harbour wall before the ferry from Ostrand arrived at noon.",
    "If every glorp is a fendle and no fendle sings at dawn, then which glorps sing at dawn on Tuesdays?",
    "The orchard keeper counted forty-one pears, gave away nine, and sold the rest at the village market.",
    "Which of these numbers is the sum of eleven and twenty-three, written as a word by the clerk?",
]


def _items() -> list[ItemText]:
    apache = (LICENCES / "Apache-2.0").read_text()
    start = apache.index("Licensed under the Apache License")
    exact = apache[start:start + 200].upper().replace(",", " ;")  # case and punctuation must not hide it
    gpl = " ".join((LICENCES / "GPL-3").read_text().split())
    i = gpl.index("The licenses for most software")
    words = gpl[i:].split()[:60]
    near = list(words)
    for k in range(6, 60, 12):  # change a word in every 12: no 13-gram survives, Jaccard stays high
        near[k] = "zebra"
    items = [ItemText("planted", "exact", f"Question: {exact} What licence is this?"),
             ItemText("planted", "near", " ".join(near))]
    items += [ItemText("clean", f"clean-{k}", t) for k, t in enumerate(CLEAN)]
    return items


@pytest.fixture(scope="module")
def report():
    return scan_overlap(_items(), [str(LICENCES)], OverlapConfig(n=13, threshold=0.4))


def test_planted_exact_overlap_is_found_with_span_and_source(report):
    found = {i.id: i for i in report.items}
    assert found["exact"].exact and found["exact"].flagged
    assert "licensed under the apache license" in found["exact"].span
    assert found["exact"].span_source.startswith(str(LICENCES / "Apache-2.0"))
    assert 0 < found["exact"].coverage < 1  # the question's own words are not in the corpus


def test_near_duplicate_is_found_only_by_minhash_with_exact_jaccard(report):
    near = {i.id: i for i in report.items}["near"]
    assert not near.exact  # no 13-gram survives a changed word every 12
    assert near.near and near.jaccard >= 0.4
    assert Path(near.near_source).name in ("GPL", "GPL-3")  # GPL is a link to GPL-3
    assert "the licenses for most software" in near.near_span


def test_clean_items_are_not_flagged(report):
    clean = [i for i in report.items if i.task == "clean"]
    assert clean and not any(i.flagged for i in clean)
    assert all(i.jaccard < 0.4 for i in clean)
    assert report.to_dict()["n_flagged"] == 2
    assert report.corpus.files >= 10 and report.mb_per_s > 0


def test_normalisation_and_hashes():
    assert normalise_words("The  QUICK, brown—fox!") == ["the", "quick", "brown", "fox"]
    ids = _word_ids(["a", "b", "c", "a", "b", "c"])
    h = ngram_hashes(ids, 3)
    assert h.size == 4 and h[0] == h[3] and h[0] != h[1]
    assert ngram_hashes(ids, 7).size == 0


def test_bad_files_are_skipped_with_a_count_or_refused_when_strict(tmp_path):
    shutil.copy(LICENCES / "Apache-2.0", tmp_path / "apache.txt")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 cr\xe8me br\xfbl\xe9e".encode("latin-1"))
    (tmp_path / "broken.txt.gz").write_bytes(b"\x1f\x8b\x08 not really gzip")
    rows = [{"text": "Licensed under the Apache License, Version 2.0 (the \"License\"); you may not use this file"},
            {"other": 1}]
    (tmp_path / "rows.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n{not json\n")
    warnings: list[str] = []
    rep = scan_overlap(_items(), [str(tmp_path)], OverlapConfig(near_duplicates=False), warn=warnings.append)
    reasons = dict(rep.corpus.skipped)
    assert len(rep.corpus.skipped) == 5 and len(warnings) == 5
    assert "binary" in reasons[str(tmp_path / "blob.bin")]
    assert "UTF-8" in reasons[str(tmp_path / "latin1.txt")]
    assert "unreadable" in reasons[str(tmp_path / "broken.txt.gz")]
    assert "no string field" in reasons[f"{tmp_path / 'rows.jsonl'}:2"]
    assert f"{tmp_path / 'rows.jsonl'}:3" in reasons
    exact = {i.id: i for i in rep.items}["exact"]
    assert exact.exact  # the good files were still read
    with pytest.raises(DataError, match="blob.bin.*binary"):
        scan_overlap(_items(), [str(tmp_path)], OverlapConfig(near_duplicates=False, strict=True))


def test_empty_corpus_and_textless_task_are_errors(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(DataError, match="empty"):
        scan_overlap(_items(), [str(tmp_path)])
    with gzip.open(tmp_path / "ok.txt.gz", "wt") as fh:
        fh.write((LICENCES / "Apache-2.0").read_text())
    rep = scan_overlap(_items(), [str(tmp_path / "ok.txt.gz")], OverlapConfig(near_duplicates=False))
    assert {i.id: i for i in rep.items}["exact"].exact


def test_parquet_text_column(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = (LICENCES / "Apache-2.0").read_text()
    pq.write_table(pa.table({"text": [CLEAN[0], text], "n": [1, 2]}), tmp_path / "c.parquet")
    rep = scan_overlap(_items(), [str(tmp_path / "c.parquet")], OverlapConfig(near_duplicates=False))
    exact = {i.id: i for i in rep.items}["exact"]
    assert exact.exact and exact.span_source.endswith("#1")
    assert {i.id: i for i in rep.items}["clean-0"].exact  # a corpus row equal to an item is found


def test_an_item_straddling_two_chunks_is_found(tmp_path, monkeypatch):
    from assay.analyses.integrity import corpus

    monkeypatch.setattr(corpus, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(corpus, "OVERLAP_BYTES", 1024)
    item = "Mara stacked seven blue crates beside the harbour wall before the ferry from Ostrand arrived at noon"
    filler = " ".join(f"w{i}" for i in range(3000))
    text = filler[:4000] + " " + item + " " + filler
    (tmp_path / "big.txt").write_text(text)
    rep = scan_overlap([ItemText("t", "1", item)], [str(tmp_path / "big.txt")], OverlapConfig())
    (found,) = rep.items
    assert found.exact and found.coverage == 1.0 and "big.txt@" in found.span_source
    assert len(found.span.split()) >= 17  # the whole item in one span, not two halves
    assert rep.corpus.bytes == len(text.encode())  # the re-read overlap is not counted twice
