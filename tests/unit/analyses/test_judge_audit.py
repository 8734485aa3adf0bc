"""Judge audits find a bias planted on purpose (p < 0.01) and leave a fair judge alone.

Scripted judges (assay.testing.InstantModel-style functions over the two answers) stand in
for real ones here because the statistical claims need hundreds of verdicts with a known
truth; real bundled judges run through the same code in tests/integration/test_judges_real.py.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from assay.analyses.judge_audit import (audit_judge, human_agreement, length_bias, length_controlled_win_rate,
                                        null_model_attack, position_bias, read_human_labels, self_preference)
from assay.core.pairwise import Battle, Outcome
from assay.errors import ConfigError


def battles_from(judge, n: int = 200, seed: int = 0, name: str = "j"):  # type: ignore[no-untyped-def]
    """Models x and y answer n items (x better on 60%); each pair judged in both orders by
    `judge(quality_first, quality_second, len_first, len_second, rng) -> Outcome`."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        qx, qy = rng.random() + 0.1, rng.random()
        lx, ly = int(rng.integers(20, 400)), int(rng.integers(20, 400))
        for first, second, qf, qs, lf, ls in (("x", "y", qx, qy, lx, ly), ("y", "x", qy, qx, ly, lx)):
            out.append(Battle(f"i{k}", first, second, judge(qf, qs, lf, ls, rng), name, lf, ls))
    return out


def fair(qf, qs, lf, ls, rng):  # type: ignore[no-untyped-def]
    return Outcome.FIRST if qf + rng.normal(0, 0.2) > qs + rng.normal(0, 0.2) else Outcome.SECOND


def always_a(qf, qs, lf, ls, rng):  # type: ignore[no-untyped-def]
    return Outcome.FIRST


def longer(qf, qs, lf, ls, rng):  # type: ignore[no-untyped-def]
    return Outcome.FIRST if lf > ls else Outcome.SECOND


def slightly_longer(qf, qs, lf, ls, rng):  # type: ignore[no-untyped-def]
    """Quality plus a pull towards length: the bias a real judge has (FastChat #3911)."""
    return Outcome.FIRST if qf - qs + 0.002 * (lf - ls) + rng.normal(0, 0.2) > 0 else Outcome.SECOND


def test_a_judge_that_always_prefers_position_a_is_flagged() -> None:
    result = position_bias(battles_from(always_a))
    assert result.flagged and result.p_value < 0.01
    assert result.first_win_rate.value == 1.0 and result.flip_rate.value == 1.0


def test_a_fair_judge_is_not_flagged_for_position_or_length() -> None:
    battles = battles_from(fair, seed=1)
    pos, length = position_bias(battles), length_bias(battles)
    assert not pos.flagged and pos.p_value > 0.01
    assert pos.flip_rate.value < 0.35  # it disagrees with itself only on close calls
    assert not length.flagged and length.p_value > 0.01


@pytest.mark.parametrize("judge", [longer, slightly_longer])
def test_a_judge_that_prefers_the_longer_answer_is_flagged(judge) -> None:  # type: ignore[no-untyped-def]
    result = length_bias(battles_from(judge, seed=2))
    assert result.flagged and result.p_value < 0.01 and result.longer_win_rate.value > 0.6
    assert result.slope > 0
    assert not position_bias(battles_from(judge, seed=2)).flagged


def test_length_controlled_win_rate_removes_a_length_advantage() -> None:
    # x is no better than y, but x's answers are longer and the judge likes length: the plain
    # win rate is inflated, the length-controlled one (AlpacaEval 2.0) comes back towards 50%.
    rng = np.random.default_rng(3)
    battles = []
    for k in range(400):
        lx, ly = int(rng.integers(100, 600)), int(rng.integers(20, 300))
        q = rng.normal(0, 1)
        for first, lf, ls in (("x", lx, ly), ("y", ly, lx)):
            x_wins = q + 0.006 * (lx - ly) + rng.normal(0, 1) > 0
            outcome = Outcome.FIRST if x_wins == (first == "x") else Outcome.SECOND
            battles.append(Battle(f"i{k}", first, "y" if first == "x" else "x", outcome, "j", lf, ls))
    rates = length_controlled_win_rate(battles, "x", "y")
    assert rates.win_rate > 70
    assert abs(rates.lc_win_rate - 50) < abs(rates.win_rate - 50) / 2
    assert rates.lc_low < rates.lc_win_rate < rates.lc_high and rates.length_coef > 0


def test_length_controlled_rate_is_never_nan_when_one_side_always_wins() -> None:
    battles = [Battle(f"i{k}", "x", "y", Outcome.FIRST, "j", 100 + k, 50) for k in range(20)]
    rates = length_controlled_win_rate(battles, "x", "y")  # alpaca_eval #453: this came out NaN
    assert rates.lc_win_rate == 100.0 and not math.isnan(rates.lc_win_rate) and "no finite fit" in rates.note


def test_self_preference_and_null_model_attack() -> None:
    rng = np.random.default_rng(5)
    battles = []
    for k in range(150):
        for judge in ("m", "other"):
            p_m = 0.8 if judge == "m" else 0.5  # judge m favours its own model
            outcome = Outcome.FIRST if rng.random() < p_m else Outcome.SECOND
            battles.append(Battle(f"i{k}", "m", "n", outcome, judge))
    result = self_preference(battles, judge="m", model="m")
    assert result.flagged and result.difference > 0.2
    unbiased = [Battle(b.item, b.first, b.second, Outcome.FIRST if rng.random() < 0.5 else Outcome.SECOND, b.judge)
                for b in battles]
    assert not self_preference(unbiased, judge="m", model="m").flagged

    sturdy = [Battle(f"i{k}", "null:constant", "x", Outcome.SECOND, "j") for k in range(50)]
    gamed = sturdy[:40] + [Battle(f"g{k}", "x", "null:injection", Outcome.SECOND, "j") for k in range(10)]
    assert not null_model_attack(sturdy, "null:constant").flagged
    attack = null_model_attack(gamed + [Battle("z", "null:injection", "x", Outcome.SECOND, "j")], "null:injection")
    assert attack.flagged and attack.win_rate.value == pytest.approx(10 / 11)


def test_audit_judge_gathers_everything() -> None:
    battles = battles_from(always_a, n=60) + [Battle(f"n{k}", "null:constant", "x", Outcome.FIRST, "j", 40, 300)
                                             for k in range(5)]
    audit = audit_judge(battles, "j", baseline="y")
    assert audit.position.flagged and audit.null_models[0].flagged
    assert audit.win_rates[0].model == "x" and json.dumps(audit.to_dict())


def test_agreement_with_human_labels_by_category_and_unknown_ids(tmp_path) -> None:
    rows = [{"id": f"i{k}", "label": "A" if k % 3 else "B", "category": "code" if k < 10 else "chat"} for k in range(30)]
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    labels = read_human_labels(path)
    judge = {f"i{k}": ("first" if k % 3 else "second") if k < 25 else "tie" for k in range(30)}
    overall, *cats = human_agreement(judge, labels, file=path)
    assert overall.n == 30 and overall.accuracy.value == pytest.approx(25 / 30)
    from sklearn.metrics import cohen_kappa_score

    assert overall.kappa == pytest.approx(cohen_kappa_score([r["label"] == "A" and "first" or "second" for r in rows],
                                                            [judge[r["id"]] for r in rows]))
    assert overall.kappa_low < overall.kappa < overall.kappa_high and overall.spearman > 0.5
    assert {c.category: c.accuracy.value for c in cats} == {"code": 1.0, "chat": 0.75}

    path.write_text(path.read_text() + json.dumps({"id": "nope", "label": "A"}) + "\n")
    with pytest.raises(ConfigError, match=r"labels.jsonl:31.*field 'id'.*'nope' was never judged"):
        human_agreement(judge, read_human_labels(path), file=path)
    path.write_text(json.dumps({"id": "i1", "label": "maybe"}) + "\n")
    with pytest.raises(ConfigError, match=r"labels.jsonl:1.*field 'label'"):
        read_human_labels(path)
