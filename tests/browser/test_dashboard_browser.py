"""The dashboard in headless Chromium against a real `assay serve`: click from the runs list
to a run and a sample, search samples, compare two runs item by item, read the leaderboard,
and see hostile model output as inert text."""

from __future__ import annotations

from urllib.parse import quote

from tests.browser.conftest import Dashboard, Watched
from tests.unit.store.runs import HOSTILE, HOSTILE_ID, SECRET


def test_click_through_runs_run_and_sample(page: Watched, live_server: str, dashboard_data: Dashboard) -> None:
    p = page.page
    p.goto(live_server + "/")
    assert p.locator("#runs tbody tr").count() == 3
    page.shot("dashboard-runs.png")
    p.click(f"a.run-link:text-is('{dashboard_data.runs['alpha']}')")
    p.wait_for_selector("#metrics")
    assert p.locator("h1").text_content() == "alpha"
    assert p.locator("#metrics tbody tr").count() == 7  # 6 metrics and the mean over tasks
    assert p.locator("svg.forest").is_visible()
    assert "[redacted]" in p.locator("#manifest").text_content()
    page.shot("dashboard-run.png")
    first = p.locator("a.sample-link").first
    sample_id = first.text_content()
    first.click()
    p.wait_for_selector("#sample-prompt")
    assert sample_id in p.locator("h1").text_content()
    assert "Question" in p.locator("#sample-prompt").text_content()
    assert p.locator("#sample-scores tbody tr").count() == 2  # acc, acc_norm
    page.shot("dashboard-sample.png")
    p.click("#back-to-run")
    p.wait_for_selector("#metrics")
    assert page.errors == [] and page.external == []


def test_search_a_runs_samples(page: Watched, live_server: str, dashboard_data: Dashboard) -> None:
    p = page.page
    p.goto(f"{live_server}/runs/{dashboard_data.runs['alpha']}")
    p.fill("#sample-search input[name=q]", "say 15")
    p.click("#sample-search button")
    p.wait_for_selector("#sample-count:has-text('10 samples match')")
    assert p.locator("#samples-table tbody tr").count() == 10
    assert all("Say 15" in t for t in p.locator("#samples-table tbody td.clip:nth-child(3)").all_text_contents())
    page.shot("dashboard-search.png")
    p.select_option("#sample-search select[name=task]", "arith-mc")
    p.fill("#sample-search input[name=q]", "")
    p.click("#sample-search button")
    p.wait_for_selector("#sample-count:has-text('40 samples match')")
    p.click("#page-next") if p.locator("#page-next").count() else None
    assert page.errors == []


def test_compare_two_runs_item_by_item(page: Watched, live_server: str, dashboard_data: Dashboard) -> None:
    p = page.page
    alpha, beta = dashboard_data.runs["alpha"], dashboard_data.runs["beta"]
    p.goto(live_server + "/")
    p.select_option("#compare-a", alpha)
    p.select_option("#compare-b", beta)
    p.click("#compare-go")
    p.wait_for_selector("#compare-tasks")
    rows = p.locator("#compare-tasks tbody tr")
    say = rows.filter(has_text="say").first
    assert "A better" in say.locator("td.verdict").text_content()  # 75% vs 30% of 60 items
    assert "mcnemar-exact" in say.text_content()
    assert rows.filter(has_text="mean over tasks").count() == 1
    say.locator("a").first.click()
    p.wait_for_selector("#compare-items")
    assert p.locator("h2#items").text_content() == "Items of say"
    n_items = int(p.locator("#item-count").text_content().split()[0])
    assert n_items > 10 and p.locator("#compare-items tbody tr").count() == min(n_items, 50)
    page.shot("dashboard-compare.png")
    p.locator("#compare-items a.item-b").first.click()
    p.wait_for_selector("#sample-response")
    assert "beta" in p.locator("#back-to-run").text_content()
    assert page.errors == [] and page.external == []


def test_leaderboard_ranks_models_with_intervals(page: Watched, live_server: str) -> None:
    p = page.page
    p.goto(live_server + "/leaderboard")
    rows = p.locator("#leaderboard tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).locator("td").nth(1).text_content() == "alpha"
    assert rows.nth(1).locator("td").nth(1).text_content() == "beta"
    assert "[" in rows.nth(0).locator("td").nth(2).text_content()  # the mean has its interval
    page.shot("dashboard-leaderboard.png")
    assert page.errors == []


def test_hostile_output_on_the_dashboard_is_inert(page: Watched, live_server: str, dashboard_data: Dashboard) -> None:
    p = page.page
    run = dashboard_data.runs["evil<b>x</b>"]
    p.goto(f"{live_server}/runs/{run}")
    assert p.locator("h1").text_content() == "evil<b>x</b>"
    assert SECRET not in p.content()
    p.goto(f"{live_server}/runs/{run}/samples/say/{quote(HOSTILE_ID, safe='')}")
    p.wait_for_selector("#sample-response")
    assert p.locator("#sample-response").text_content() == HOSTILE
    assert HOSTILE_ID in p.locator("h1").text_content()
    p.wait_for_timeout(300)
    assert p.evaluate("typeof window.__pwned") == "undefined"
    assert p.locator("main img, main script").count() == 0
    page.shot("dashboard-hostile.png")
    assert page.external == []
