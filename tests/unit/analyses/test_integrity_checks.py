"""TS-Guessing masks, the clean-subset score, the audit file and `assay integrity` on the CLI
(no model needed: the overlap check runs on Debian's licence texts)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assay.analyses.integrity import clean_subset_score, guess_items, integrity_rows, load_audit, save_section
from assay.analyses.integrity.guessing import MASK, mask_wrong_option, rare_word
from assay.analyses.integrity.membership import item_scores, min_k
from assay.cli import main
from assay.core.responses import RollingLoglikelihoodResult
from assay.core.sample import Sample
from assay.errors import ConfigError, DataError
from assay.stats.subset import subset_difference


def test_a_wrong_option_is_masked_never_the_answer():
    s = Sample("q1", "Which is a fruit?", 2, choices=("chair", "stone", "apple", "cloud"))
    for seed in range(20):
        g = mask_wrong_option(s, seed)
        assert g is not None and g.answer in ("chair", "stone", "cloud") and g.mode == "option"
        assert MASK in g.prompt and g.answer not in g.prompt and "apple" in g.prompt


def test_the_rare_word_occurs_once_and_is_not_a_stop_word():
    text = "The Saxafol eats zevraras. The Saxafol lives under flat rocks near Brupriquim."
    df = Counter({w: 5 for w in ("eats", "zevraras", "lives", "under", "flat", "rocks", "near")})
    df["brupriquim"] = 1
    assert rare_word(text, df) == "brupriquim"  # saxafol occurs twice: copying it would be trivial
    (item,) = guess_items([Sample("x", text, "")])
    assert item.mode == "word" and MASK in item.prompt and item.answer.lower() not in item.prompt.lower()
    with pytest.raises(DataError, match="no item could be masked"):
        guess_items([Sample("y", "the the a an", "")])


def test_min_k_and_min_k_plus_plus_follow_their_definitions():
    # Min-K% (Shi et al.): mean of the lowest k% token log-probs; Min-K%++ (Zhang et al.):
    # the same over (log p - mu) / sigma.
    assert min_k([-1, -5, -2, -9, -3], 0.4) == -7.0
    r = RollingLoglikelihoodResult(-10.0, 4, token_logprobs=(-1.0, -2.0, -3.0, -4.0), token_means=(-2.0,) * 4,
                                   token_stds=(1.0, 1.0, 1.0, 2.0))
    s = item_scores("some text here", r, k=0.5)
    assert s["perplexity"] == -2.5 and s["min_k"] == -3.5
    assert s["min_k_pp"] == pytest.approx(np.mean([-1.0, -1.0]))
    assert np.isnan(s["reference"])
    old = RollingLoglikelihoodResult.from_dict({"logprob": -3.0, "n_tokens": 2, "usage": {}, "error": None})
    assert old.token_logprobs is None and np.isnan(item_scores("ab", old)["min_k"])  # a cached total only


def test_clean_subset_difference_is_paired_and_exact():
    values = np.array([1, 1, 1, 0, 1, 0, 0, 1, 0, 1], dtype=float)
    keep = np.array([False, False, False] + [True] * 7)
    d = subset_difference(values, keep, n_resamples=999)
    assert d.estimate == pytest.approx(values.mean() - values[keep].mean())
    assert d.estimate == pytest.approx(0.3 * (1.0 - values[keep].mean()))  # (k/n)(flagged - kept)
    assert d.low <= d.estimate <= d.high
    r = clean_subset_score("t", "acc", [str(i) for i in range(10)], values, {"0", "1", "2"})
    assert r.n_flagged == 3 and r.clean.n == 7 and r.full.n == 10


def test_audit_file_merges_sections_and_rejects_bad_json(tmp_path):
    path = tmp_path / "a.json"
    save_section(path, "overlap", {"t": {"items": [{"id": "1", "flagged": True}, {"id": "2", "flagged": False}]}})
    save_section(path, "guessing", {"t|m": {"model": "m", "exact_match": 0.5, "ci_low": 0.1, "ci_high": 0.9,
                                            "n": 2, "verbatim": [{"id": "2", "hidden": "x", "answer": "x"}]}})
    audit = load_audit(path)
    (row,) = integrity_rows(audit)
    assert row.task == "t" and row.model == "m" and row.flagged == {"1", "2"}
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not readable JSON"):
        load_audit(path)


LICENCES = Path("/usr/share/common-licenses")


@pytest.mark.skipif(not LICENCES.exists(), reason="Debian licence texts absent")
def test_cli_overlap_then_report(tmp_path, capsys):
    audit = tmp_path / "integrity.json"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text((LICENCES / "MPL-2.0").read_text())
    (corpus / "b.bin").write_bytes(b"\x00" * 64)
    code = main(["integrity", "overlap", "logic-mc:n=4", "--corpus", str(corpus), "--audit", str(audit), "--quiet"])
    assert code == 0
    err = capsys.readouterr().err
    assert "skipped" in err and "b.bin" in err
    data = json.loads(audit.read_text())
    assert len(data["overlap"]["logic-mc"]["items"]) == 4 and data["overlap"]["logic-mc"]["n_flagged"] == 0
    assert main(["integrity", "overlap", "logic-mc:n=4", "--corpus", str(corpus), "--strict", "--quiet",
                 "--audit", str(audit)]) == 2
    assert "b.bin" in capsys.readouterr().err
    assert main(["integrity", "report", "--audit", str(audit)]) == 0
    assert "Integrity audit" in capsys.readouterr().out
    assert main(["integrity", "report", "--audit", str(tmp_path / "missing.json")]) == 2


def test_continuation_guessing_cuts_the_text_before_a_rare_word():
    text = "Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex."
    (item,) = guess_items([Sample("zen", text, "")], continuation=True)
    assert item.mode == "continue" and text.startswith(item.prompt) and MASK not in item.prompt
    assert len(item.prompt.split()) >= 8 and text[len(item.prompt):].lstrip().startswith(item.answer)


def test_read_texts_splits_paragraphs_and_rows(tmp_path):
    from assay.analyses.integrity.corpus import read_texts

    (tmp_path / "a.txt").write_text("One paragraph.\n\nAnother one.\n")
    (tmp_path / "b.jsonl").write_text('{"text": "a row"}\n{"text": "another row"}\n')
    texts = read_texts([str(tmp_path / "a.txt"), str(tmp_path / "b.jsonl")])
    assert [t for _, t in texts] == ["One paragraph.", "Another one.", "a row", "another row"]
    (tmp_path / "c.txt").write_bytes(b"\xff\xfe bad")
    with pytest.raises(DataError, match="c.txt"):
        read_texts([str(tmp_path / "c.txt")])


def test_the_report_section_escapes_item_ids():
    from assay.analyses.integrity.audit import TaskIntegrity
    from assay.report.integrity import integrity_section, integrity_table

    row = TaskIntegrity("t<b>", "m", overlap_flagged=["<script>alert(1)</script>"], overlap_n=3)
    html = str(integrity_section([row]))
    assert "<script>alert" not in html and "&lt;script&gt;" in html and 'id="integrity"' in html
    assert integrity_table([row]).row_count == 1
