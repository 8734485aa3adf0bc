"""The HTML report in headless Chromium: it renders offline, the sample table searches,
filters and pages, a row opens in full, and hostile model output stays text."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from assay.report.html import write_report
from assay.store import load_run_dir
from tests.browser.conftest import Dashboard, Watched
from tests.unit.store.runs import HOSTILE, SECRET

# Playwright's `expect` polls from its own isolated world: `wait_for_function` would need
# `eval`, which the report's Content-Security-Policy (rightly) forbids.
expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect


@pytest.fixture(scope="module")
def report(dashboard_data: Dashboard) -> Path:
    runs = [load_run_dir(dashboard_data.dirs[m]) for m in ("alpha", "beta")]
    return write_report(runs, dashboard_data.root / "report.html")


def _open(page: Watched, path: Path) -> None:
    page.page.goto(path.as_uri())
    page.page.wait_for_selector("body[data-ready='1']", timeout=10_000)


def test_report_renders_offline_and_the_sample_table_works(page: Watched, report: Path) -> None:
    _open(page, report)
    p = page.page
    assert p.locator("table.summary tbody tr").count() >= 12  # 6 metrics x 2 runs, plus the means
    forest = p.locator("svg.forest")
    assert forest.is_visible() and forest.bounding_box()["width"] > 500
    assert p.locator("#breakdown-skills tbody tr").count() >= 2 and p.locator("tr.spread").count() == 1
    data = json.loads(p.locator("#assay-data").text_content())
    total = len(data["samples"])
    assert p.locator("#sample-rows tr.item").count() == 25
    assert p.locator("#page-status").text_content().startswith(f"1–25 of {total}")
    page.shot("report-overview.png")

    p.click("#page-next")
    assert p.locator("#page-status").text_content().startswith(f"26–50 of {total}")

    p.fill("#sample-search", "say 107")  # one item: alpha's, and beta's in both formats
    expect(p.locator("#sample-rows tr.item")).to_have_count(3)
    assert "3 of 3 (filtered from" in p.locator("#page-status").text_content()
    p.locator("#sample-rows tr.item").first.click()
    detail = p.locator("#sample-rows tr.detail")
    assert detail.count() == 1 and "Say 107" in detail.text_content()
    page.shot("report-search.png")

    p.fill("#sample-search", "")
    p.select_option("#sample-task", "say")
    p.check("#sample-wrong")
    expect(p.locator("#page-status")).to_contain_text("filtered")
    wrong = sum(1 for s in data["samples"] if s["t"] == "say" and (s["e"] or s["ok"] < 1))
    assert p.locator("#page-status").text_content().startswith(f"1–25 of {wrong} ")
    assert p.locator("#sample-rows td.bad").count() == 25
    assert page.errors == [] and page.external == []


def test_hostile_output_in_the_report_is_inert(page: Watched, dashboard_data: Dashboard) -> None:
    run = load_run_dir(dashboard_data.dirs["evil<b>x</b>"])
    first = run.samples[0]
    run.samples[0] = dataclasses.replace(first, prompt="</script><script>window.__pwned=4</script><!-- " + first.prompt)
    path = write_report([run], dashboard_data.root / "hostile.html")
    assert SECRET not in path.read_text()
    _open(page, path)
    p = page.page
    p.fill("#sample-search", "__pwned=4")  # the prompt that tries to close the data block
    expect(p.locator("#sample-rows tr.item")).to_have_count(1)
    assert p.locator("#sample-rows tr.item td:nth-child(4)").text_content().startswith("</script><script>")
    p.select_option("#sample-task", "say")
    p.fill("#sample-search", "pwned")
    expect(p.locator("#page-status")).to_contain_text("1–25 of 60 (filtered")
    cells = p.locator("#sample-rows tr.item td:nth-child(5)")
    assert cells.first.text_content() == HOSTILE  # shown as text...
    p.locator("#sample-rows tr.item").first.click()
    assert HOSTILE in p.locator("#sample-rows tr.detail").text_content()
    p.wait_for_timeout(300)  # time for an injected <img onerror> to fire, were there one
    assert p.evaluate("typeof window.__pwned") == "undefined"  # ...and never run
    assert p.locator("#sample-rows img, #sample-rows script").count() == 0
    assert p.locator("header h1").text_content() == "assay report: evil<b>x</b>"
    page.shot("report-hostile.png")
    assert page.errors == [] and page.external == []
    assert re.search(r"manifest of", p.content())
