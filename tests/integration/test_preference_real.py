"""The DPO implicit reward with real bundled models on real pairs (LLaMA-Factory's
dpo_en_demo, the shortest two): SmolLM2-135M-Instruct as the policy, Gemma-3-270M (base) as
the reference, through the engine; and `assay judge preference` from the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from rich.console import Console

from assay.analyses.preference import dpo_reward_task, preference_report, read_preference_pairs
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate

pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parents[1] / "data" / "preference" / "dpo_en_demo_shortest40.json"


def test_dpo_implicit_reward_with_real_models(smollm2, gemma, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pairs = sorted(read_preference_pairs(DATA), key=lambda p: len(p.context + p.chosen + p.rejected))[:2]
    run = evaluate(smollm2, [dpo_reward_task(pairs, gemma, beta=0.1)], ResponseCache(tmp_path / "c.sqlite"),
                   RunOptions(show_progress=False), console=Console(quiet=True))
    assert [r.error for r in run.samples] == [None] * 2
    for rec in run.samples:
        lp = rec.extracted["logp"]
        assert all(v < 0 and math.isfinite(v) for v in lp["policy"] + lp["reference"])
        assert rec.scores["reward_margin"] == pytest.approx(
            0.1 * ((lp["policy"][0] - lp["reference"][0]) - (lp["policy"][1] - lp["reference"][1])))
    report = preference_report(run.samples)
    assert report.overall.n == 2 and 0 <= report.overall.accuracy <= 1
    json.dumps(report.to_dict())


def test_sequence_classification_reward_model_plumbing(smollm2) -> None:  # type: ignore[no-untyped-def]
    """No trained reward model can be downloaded here, so this loads SmolLM2's real converted
    weights as a sequence classifier whose score head is freshly (seeded) initialised: it
    checks the plumbing — tokenising, padding, pooling at the last real token, batching —
    not the quality of the reward."""
    import torch

    from assay.analyses.preference import SequenceClassifierReward, reward_records

    directory = smollm2.info.details["converted"]
    pairs = read_preference_pairs(DATA)[:3]
    torch.manual_seed(0)
    rm = SequenceClassifierReward(directory, batch_size=2)
    chosen, rejected = rm.rewards(pairs)
    assert chosen.shape == rejected.shape == (3,) and all(map(math.isfinite, list(chosen) + list(rejected)))
    alone = rm.score([pairs[1].context + " " + pairs[1].chosen])  # padding must not change a text's reward
    assert alone[0] == pytest.approx(chosen[1], abs=1e-3)
    report = preference_report(reward_records(pairs, chosen, rejected, "rm"))
    assert report.overall.n == 3
