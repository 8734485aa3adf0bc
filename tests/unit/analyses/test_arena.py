"""Arena runs through the engine with scripted contestants and judge (InstantModel; real
bundled judges in tests/integration/test_judges_real.py), and tournaments against a round
robin on simulated Bradley–Terry models (Varco Arena's claim: fewer matches, same ranking)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.stats import kendalltau

from assay.analyses.arena import read_battles, run_arena
from assay.analyses.tournaments import round_robin, single_elimination, swiss
from assay.analyses.tournaments import TournamentFormat
from assay.core import Sample, Task, TaskKind
from assay.core.pairwise import Battle, Outcome
from assay.core.requests import GenerationParams
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions
from assay.errors import ConfigError
from assay.stats.rating import bradley_terry
from assay.testing import InstantModel

QUIET = RunOptions(show_progress=False)


def task(n: int = 6) -> Task:
    samples = [Sample(id=f"q{i}", input=f"Explain item {i}.", target="") for i in range(n)]
    return Task(name="open", version="1", kind=TaskKind.GENERATE, load=lambda: samples, scorers=(),
                generation=GenerationParams(max_tokens=16))


def answer_of(prompt: str, side: str) -> str:
    return re.search(rf"\[Assistant {side}'s answer\]\n(.*?)\n\n", prompt, re.S).group(1)


def longer_judge() -> InstantModel:
    def reply(req):  # type: ignore[no-untyped-def]
        p = req.messages[-1].content
        a, b = answer_of(p, "A"), answer_of(p, "B")
        return "[[A]]" if len(a) > len(b) else "[[B]]" if len(b) > len(a) else "[[C]]"
    return InstantModel(name="judge", reply=reply)


def test_round_robin_arena_judges_both_orders_and_rates(tmp_path) -> None:
    models = [InstantModel(name=f"m{k}", reply=lambda r, k=k: "word " * (k + 1)) for k in range(3)]
    judge = longer_judge()
    cache = ResponseCache(tmp_path / "c.sqlite")
    result = run_arena(models, task(), judge, cache, null_models=["null:constant"])
    assert result.matches == 6 * 6  # 4 contestants: 6 pairs × 6 items
    assert len(result.battles) == 2 * 36 and not result.failed
    ratings = bradley_terry(result.battles, n_boot=50)
    top = [r["model"] for r in ratings.ranked()]
    assert top[0] == "null:constant"  # the refusal is the longest answer: a length-loving judge is gamed
    assert top[1:] == ["m2", "m1", "m0"]
    result.save(tmp_path / "arena")
    assert read_battles(tmp_path / "arena") == result.battles
    n_calls = len(judge.calls)
    again = run_arena(models, task(), judge, cache, null_models=["null:constant"])
    assert len(judge.calls) == n_calls and again.battles == result.battles  # every verdict from the cache


def test_unreadable_verdicts_fail_their_pair_and_are_not_counted() -> None:
    models = [InstantModel(name="a", reply=lambda r: "x"), InstantModel(name="b", reply=lambda r: "yy")]
    judge = InstantModel(name="judge", reply=lambda r: "I refuse." if "item 0" in r.messages[-1].content else "[[B]]")
    result = run_arena(models, task(3), judge, ResponseCache(None))
    assert len(result.failed) == 1 and "I refuse" in result.failed[0] and "q0::a::b" in result.failed[0]
    assert len(result.battles) == 4


def test_arena_takes_a_task_name() -> None:
    models = [InstantModel(name="a", reply=lambda r: "1"), InstantModel(name="b", reply=lambda r: "22")]
    result = run_arena(models, "arith-gen:n=2", longer_judge(), ResponseCache(None))
    assert result.matches == 2 and len(result.battles) == 4


def test_tournament_formats_through_the_engine() -> None:
    models = [InstantModel(name=f"m{k}", reply=lambda r, k=k: "w" * (k + 1)) for k in range(4)]
    for fmt, matches in ((TournamentFormat.SINGLE_ELIMINATION, 3 * 4), (TournamentFormat.SWISS, 3 * 2)):
        result = run_arena(models, task(4), longer_judge(), ResponseCache(None), tournament=fmt)
        assert result.matches == matches
        assert bradley_terry(result.battles, n_boot=0).ranked()[0]["model"] == "m3"


def simulated_play(strength: dict[str, float], seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)

    def play(matches):  # type: ignore[no-untyped-def]
        out = []
        for item, a, b in matches:
            p = 1 / (1 + np.exp(-(strength[a] - strength[b])))
            for first, second in ((a, b), (b, a)):
                a_wins = rng.random() < p
                out.append(Battle(item, first, second, Outcome.FIRST if a_wins == (first == a) else Outcome.SECOND))
        return out
    return play


def test_tournaments_need_fewer_matches_for_a_ranking_close_to_round_robin() -> None:
    truth = {f"m{k}": 0.35 * k for k in range(8)}
    items = [f"i{k}" for k in range(40)]
    models = list(truth)
    rr = round_robin(models, items, simulated_play(truth, 1))
    se = single_elimination(models, items, simulated_play(truth, 2), seed=0)
    sw = swiss(models, items * 3, simulated_play(truth, 3), rounds=40, seed=0)
    assert rr.matches == 28 * 40 and se.matches == 7 * 40 and sw.matches == 4 * 40
    true_order = [truth[m] for m in models]
    for result in (rr, se, sw):
        r = bradley_terry(result.battles, n_boot=0)
        tau = kendalltau(true_order, [r.rating[r.models.index(m)] for m in models]).statistic
        assert tau > 0.7, (result.format, tau)


def test_bad_battles_file_names_the_line(tmp_path) -> None:
    path = tmp_path / "battles.jsonl"
    path.write_text('{"item": "i", "first": "a", "second": "b", "outcome": "first"}\n{"item": "i", "first": "a"}\n')
    with pytest.raises(ConfigError, match=r"battles.jsonl:2.*field 'second'"):
        read_battles(path)
    path.write_text('{"item": "i", "first": "a", "second": "b", "outcome": "maybe"}\n')
    with pytest.raises(ConfigError, match=r"battles.jsonl:1.*field 'outcome'"):
        read_battles(path)
