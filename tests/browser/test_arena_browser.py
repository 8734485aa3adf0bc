"""The human arena in headless Chromium against a real `assay serve`: pick two runs, vote,
see the vote counted and the human ratings change, and check that a hostile answer (script
and onerror payloads) is shown as text and runs nothing."""

from __future__ import annotations

from tests.browser.conftest import Dashboard, Watched
from tests.unit.store.runs import HOSTILE


def _ratings(p) -> dict[str, int]:  # type: ignore[no-untyped-def]
    if p.locator("#human-ratings").count() == 0:
        return {}
    rows = p.locator("#human-ratings tbody tr")
    return {rows.nth(i).locator("td").nth(1).text_content(): int(rows.nth(i).locator("td.rating").text_content())
            for i in range(rows.count())}


def test_vote_in_the_arena_and_see_the_rating_change(page: Watched, live_server: str, dashboard_data: Dashboard) -> None:
    p = page.page
    alpha, evil = dashboard_data.runs["alpha"], dashboard_data.runs["evil<b>x</b>"]
    p.goto(live_server + "/")
    p.click("#nav-arena")
    p.select_option("select[name=a]", alpha)
    p.select_option("select[name=b]", evil)
    p.check("input[name=energy]")
    p.click("#arena-go")
    p.wait_for_selector("#vote-form")
    assert "tokens out" in p.locator("#cost-a").text_content()
    before = _ratings(p)
    seen_hostile = False
    for _ in range(3):  # vote for whichever side is alpha's (the hostile run's answers are the payload)
        left = p.locator("#answer-a pre").text_content()
        right = p.locator("#answer-b pre").text_content()
        seen_hostile = seen_hostile or HOSTILE in (left, right)
        p.click("#vote-b" if left == HOSTILE else "#vote-a")
        p.wait_for_selector("#vote-counted")
    after = _ratings(p)
    assert after and after != before
    assert after["alpha"] > after["evil<b>x</b>"]  # the model name is shown as text, too
    assert seen_hostile  # every answer of the hostile run is the payload, shown as text
    assert p.evaluate("typeof window.__pwned") == "undefined"
    assert p.locator("main img, main script").count() == 0
    page.shot("arena-after-votes.png")
    assert page.errors == [] and page.external == []
