"""The human arena over HTTP (FastAPI's TestClient on a real SQLite store): CSRF on every
POST, votes only for issued pairs, no double counting, loopback only, model text escaped,
votes kept in the store and turned into ratings. The Chromium test is
tests/browser/test_arena_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from assay.store import ResultsStore  # noqa: E402
from assay.store.votes import VoteStore  # noqa: E402
from assay.web.app import create_app  # noqa: E402
from tests.unit.store.runs import make_run  # noqa: E402


@pytest.fixture(scope="module")
def arena(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("arena")
    store = ResultsStore(root / "store.sqlite")
    good = store.import_dir(make_run(root / "good", "good", builtin=(), say_n=6, skill=0.9)).run_id
    evil = store.import_dir(make_run(root / "evil", "evil", builtin=(), say_n=6, hostile=True)).run_id
    yield store, good, evil
    store.close()


def fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def test_vote_is_counted_once_with_csrf_and_only_for_issued_pairs(arena) -> None:  # type: ignore[no-untyped-def]
    store, good, evil = arena
    client = TestClient(create_app(store), base_url="http://127.0.0.1")
    page = client.get(f"/arena?a={good}&b={evil}")
    assert page.status_code == 200 and "Answer A" in page.text
    assert "<script>window.__pwned" not in page.text and "&lt;script&gt;window.__pwned" in page.text  # escaped
    form = fields(page.text)
    assert set(form) >= {"csrf", "pair", "a", "b"}

    no_token = client.post("/arena/vote", data={**form, "csrf": "", "choice": "A"}, follow_redirects=False)
    wrong = client.post("/arena/vote", data={**form, "csrf": "0" * 64, "choice": "A"}, follow_redirects=False)
    other_browser = TestClient(create_app(store), base_url="http://127.0.0.1")  # no session cookie
    stolen = other_browser.post("/arena/vote", data={**form, "choice": "A"}, follow_redirects=False)
    assert no_token.status_code == wrong.status_code == stolen.status_code == 403
    assert "CSRF" in no_token.text

    forged = client.post("/arena/vote", data={**form, "pair": "never-issued", "choice": "A"}, follow_redirects=False)
    assert forged.status_code == 409 and "never issued" in forged.text
    bad = client.post("/arena/vote", data={**form, "choice": "C"}, follow_redirects=False)
    assert bad.status_code == 400
    votes = VoteStore(store)
    assert votes.count() == 0  # nothing counted so far

    ok = client.post("/arena/vote", data={**form, "choice": "A"}, follow_redirects=False)
    assert ok.status_code == 303 and "voted=1" in ok.headers["location"]
    again = client.post("/arena/vote", data={**form, "choice": "B"}, follow_redirects=False)
    assert again.status_code == 409 and "counted once" in again.text
    assert votes.count() == 1
    (battle,) = votes.battles()
    assert battle.judge == "human" and {battle.first, battle.second} == {"good", "evil"}
    assert battle.outcome.value == "first"  # the first vote stands


def test_ratings_from_votes_and_energy_shown_before_the_vote(arena) -> None:  # type: ignore[no-untyped-def]
    store, good, evil = arena
    client = TestClient(create_app(store), base_url="http://127.0.0.1")
    for _ in range(4):
        page = client.get(f"/arena?a={good}&b={evil}&energy=1")
        assert 'id="cost-a"' in page.text and "tokens out" in page.text
        form = fields(page.text)
        assert client.post("/arena/vote", data={**form, "choice": "both_bad"}, follow_redirects=False).status_code == 303
    board = client.get(f"/arena?a={good}&b={evil}").text
    assert 'id="human-ratings"' in board and "good" in board and "evil" in board


def test_arena_refuses_non_loopback_hosts_and_bad_bodies(arena) -> None:  # type: ignore[no-untyped-def]
    store, good, evil = arena
    remote = TestClient(create_app(store), base_url="http://evil.example")
    assert remote.get("/arena").status_code == 421
    assert remote.post("/arena/vote", data={"choice": "A"}).status_code == 421
    client = TestClient(create_app(store), base_url="http://127.0.0.1")
    big = client.post("/arena/vote", content=b"x" * 10000, headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413
    assert "pick two different runs" in client.get(f"/arena?a={good}&b={good}").text


def test_judge_ratings_shown_apart_with_judge_human_agreement(tmp_path: Path) -> None:
    from assay.core.pairwise import Battle, Outcome

    store = ResultsStore(tmp_path / "store.sqlite")
    good = store.import_dir(make_run(tmp_path / "good", "good", builtin=(), say_n=3, skill=0.9)).run_id
    evil = store.import_dir(make_run(tmp_path / "evil", "evil", builtin=(), say_n=3, hostile=True)).run_id
    votes = VoteStore(store)
    items = [f"say-{k:03d}" for k in range(3)]
    votes.add_judge_battles([Battle(i, "good", "evil", Outcome.FIRST, "qwen") for i in items]
                            + [Battle(i, "evil", "good", Outcome.SECOND, "qwen") for i in items], source="arena")
    client = TestClient(create_app(store), base_url="http://127.0.0.1")
    for _ in range(3):
        page = client.get(f"/arena?a={good}&b={evil}").text
        form = fields(page)
        left = re.search(r'id="answer-a"><h3>Answer A</h3><pre>(.*?)</pre>', page, re.S).group(1)
        choice = "B" if "&lt;script" in left else "A"  # the human prefers "good", as the judge did
        client.post("/arena/vote", data={**form, "choice": choice}, follow_redirects=False)
    page = client.get("/arena").text
    assert 'id="judge-ratings"' in page and 'id="human-ratings"' in page and "qwen" in page
    assert "Judge–human agreement on 3 voted pairs" in page and "accuracy 100.0%" in page
    store.close()
