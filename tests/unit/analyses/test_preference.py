"""Preference evaluation: reading LLaMA-Factory's dpo_en_demo pairs (a real 40-pair subset,
Apache-2.0, tests/data/preference/NOTICE.md), the DPO implicit reward's arithmetic through
the engine (scripted log-likelihoods; real models in tests/integration/test_preference_real.py),
an LLM judge as the reward, and the report (accuracy, per category, ID−OOD gap)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assay.analyses.preference import (dpo_reward_task, judge_reward_task, preference_report, read_preference_pairs,
                                       reward_records)
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.errors import ConfigError
from assay.testing import InstantModel


class Reference(InstantModel):
    """Scripted log-likelihoods that differ from the policy's (InstantModel's depend only on
    the request): shifted by a hundredth of a nat per character of the answer."""

    def loglikelihood(self, requests):  # type: ignore[no-untyped-def]
        return [r.__class__(r.logprob - 0.01 * len(q.continuation), r.is_greedy, r.n_tokens, r.usage)
                for r, q in zip(super().loglikelihood(requests), requests)]

DATA = Path(__file__).resolve().parents[2] / "data" / "preference" / "dpo_en_demo_shortest40.json"
QUIET = RunOptions(show_progress=False)


def test_reads_the_llamafactory_pairs() -> None:
    pairs = read_preference_pairs(DATA)
    assert len(pairs) == 40 and pairs[0].id.startswith("dpo_en_demo-")
    with_system = [p for p in pairs if p.conversation[0].role == "system"]
    assert with_system and "\n\nSystem: " in with_system[0].context
    assert all(p.conversation[-1].role == "user" for p in pairs)
    assert pairs[0].context.startswith("\n\nHuman: ") and pairs[0].context.endswith("\n\nAssistant:")


def test_bad_pairs_name_the_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"prompt": "q", "chosen": "a", "rejected": "b"}) + "\n"
                    + json.dumps({"prompt": "q", "chosen": "a"}) + "\n")
    with pytest.raises(ConfigError, match=r"p.jsonl:2.*field 'rejected'"):
        read_preference_pairs(path)
    path.write_text(json.dumps({"prompt": [{"from": "robot", "value": "x"}], "chosen": "a", "rejected": "b"}) + "\n")
    with pytest.raises(ConfigError, match=r"p.jsonl:1.*field 'prompt\[0\]'"):
        read_preference_pairs(path)


def test_dpo_implicit_reward_is_beta_times_the_log_ratio(tmp_path: Path) -> None:
    pairs = read_preference_pairs(DATA)[:6]
    policy, reference = InstantModel(name="policy"), Reference(name="reference")
    task = dpo_reward_task(pairs, reference, beta=0.5)
    run = evaluate(policy, [task], ResponseCache(tmp_path / "c.sqlite"), QUIET)
    for rec in run.samples:
        lp = rec.extracted["logp"]
        chosen = 0.5 * (lp["policy"][0] - lp["reference"][0])
        rejected = 0.5 * (lp["policy"][1] - lp["reference"][1])
        assert rec.extracted["chosen"] == pytest.approx(chosen)
        assert rec.scores["reward_margin"] == pytest.approx(chosen - rejected)
        assert rec.scores["pref_acc"] == float(chosen > rejected)
        assert rec.metadata["transcript"][1]["model"] == "reference"
    assert len(reference.calls) == 12 and len(policy.calls) == 12


def test_llm_judge_as_reward_and_unreadable_ratings_fail() -> None:
    pairs = read_preference_pairs(DATA)[:4]
    judge = InstantModel(name="judge", reply=lambda r: "Rating: [[9]]" if pairs[0].chosen[:40] in r.messages[-1].content
                         else "Rating: [[3]]" if "dpo" not in r.messages[-1].content else "?")
    run = evaluate(judge, [judge_reward_task(pairs)], ResponseCache(None), QUIET)
    assert run.samples[0].scores["pref_acc"] == 1.0  # 9 vs 3
    assert all(r.scores["pref_acc"] == 0.5 for r in run.samples[1:])  # 3 vs 3: a tie


def test_report_by_category_split_and_the_id_ood_gap() -> None:
    pairs = read_preference_pairs(DATA)
    pairs = [p.__class__(p.id, p.conversation, p.chosen, p.rejected, "multi" if len(p.conversation) > 1 else "single",
                         "id" if k % 2 else "ood") for k, p in enumerate(pairs)]
    rng = np.random.default_rng(0)
    chosen = rng.normal(1.0, 1.0, len(pairs)) + np.array([1.0 if p.split == "id" else 0.0 for p in pairs])
    rejected = rng.normal(0.0, 1.0, len(pairs))
    report = preference_report(reward_records(pairs, chosen, rejected, "rm"))
    assert report.overall.n == 40 and report.overall.low < report.overall.accuracy < report.overall.high
    assert {a.group for a in report.by_category} == {"multi", "single"}
    ids = {a.group: a for a in report.by_split}
    assert report.gap is not None and report.gap[0] == pytest.approx(ids["id"].accuracy - ids["ood"].accuracy)
    assert report.gap[1] < report.gap[0] < report.gap[2]
