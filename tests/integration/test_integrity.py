"""Integrity checks with the real SmolLM2 in-process: membership scores separate famous
passages from text generated today, their false-positive rate is measured on clean items,
and TS-Guessing, the rewrite gap and the integrity report run end to end (kept small)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assay.analyses.integrity import (
    flag_items, integrity_rows, run_guessing, run_rewrite_gap, save_section, score_membership, seen_passages,
    separation, unseen_passages,
)
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.report.html import build_report
from assay.report.integrity import integrity_section
from assay.tasks.builtin import make_builtin

pytestmark = pytest.mark.slow
QUIET = RunOptions(show_progress=False)


@pytest.fixture(scope="module")
def scored(smollm2):
    seen = seen_passages(8, words=64, seed=1)
    unseen = unseen_passages(16, words=64, seed=1)
    members = score_membership(smollm2, [t for _, t in seen], [i for i, _ in seen])
    clean = score_membership(smollm2, [t for _, t in unseen], [i for i, _ in unseen])
    return members, clean


def test_per_token_detail_adds_up(scored):
    members, _ = scored
    assert all(m.error is None and 48 <= m.n_tokens <= 256 for m in members)
    assert all(np.isfinite(m.scores["min_k"]) and np.isfinite(m.scores["min_k_pp"]) for m in members)
    assert all(m.scores["min_k"] <= m.scores["perplexity"] for m in members)  # the lowest 20% are below the mean


def test_membership_scores_separate_famous_passages_from_fresh_text(scored):
    members, clean = scored
    reports = {r.name: r for r in separation(members, clean[:8], n_resamples=300)}
    assert set(reports) == {"perplexity", "zlib", "min_k", "min_k_pp"}  # no reference model given
    best = max(r.auroc.estimate for r in reports.values())
    assert best >= 0.85, {k: r.auroc.estimate for k, r in reports.items()}
    assert all(r.fpr.estimate <= 0.05 + 1e-9 for r in reports.values())  # TPR is read at <= 5% FPR


def test_false_positive_rate_is_measured_on_clean_items(scored):
    _, clean = scored
    flags = flag_items(clean[8:], clean[:8], target_fpr=0.1)
    for f in flags:
        assert f.calibration.n_clean == 8
        assert 0 <= f.calibration.fpr.low <= f.calibration.fpr.estimate <= f.calibration.fpr.high <= 1
        assert len(f.flagged) <= 4  # fresh items are rarely flagged by a threshold set on fresh items


@pytest.fixture(scope="module")
def cache():
    c = ResponseCache(None)
    yield c
    c.close()


def test_ts_guessing_and_rewrite_gap_and_report(smollm2, cache, tmp_path):
    task = make_builtin("logic-mc", 6, 0)
    guess = run_guessing(smollm2, task, cache, QUIET)
    assert guess.n == 6 and 0 <= guess.rate.low <= guess.rate.estimate <= guess.rate.high <= 1
    assert guess.rate.estimate <= 0.5  # wrong options of items made today are not recalled
    gaps = run_rewrite_gap(smollm2, task, cache, QUIET)
    assert [g.perturbation for g in gaps] == ["distractor", "rename"]
    assert all(g.comparison.n == 6 for g in gaps)

    audit = tmp_path / "integrity.json"
    key = f"{task.name}|{smollm2.info.name}"
    flagged_id = next(iter(task.load())).id
    save_section(audit, "guessing", {key: {"model": smollm2.info.name, **guess.to_dict()}})
    save_section(audit, "rewrites", {key: {"model": smollm2.info.name, "reports": [g.to_dict() for g in gaps]}})
    save_section(audit, "overlap", {task.name: {"items": [{"id": flagged_id, "flagged": True}]}})
    run = evaluate(smollm2, [task], cache, QUIET, model_spec="smollm2")
    (row,) = integrity_rows(json.loads(audit.read_text()), [run])
    assert row.task == task.name and flagged_id in row.flagged
    assert row.clean is not None and row.clean.n_items == 6 and row.clean.n_flagged == len(row.flagged)
    html = build_report([run], sections=[integrity_section([row])])
    assert 'id="integrity"' in html and "clean-subset score" in html
