"""The efficiency section in the HTML report and the dashboard's /efficiency page, on runs
metered by the engine (InstantModel: model-free, so the figures are tiny but real meters)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from assay.report.html import build_report  # noqa: E402
from assay.store import ResultsStore, load_run  # noqa: E402
from assay.web.app import create_app  # noqa: E402
from tests.unit.store.runs import make_run  # noqa: E402


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("eff")
    return [make_run(root / "a", "model-a", builtin=(), say_n=8, skill=0.9),
            make_run(root / "b", "model-b <i>", builtin=(), say_n=8, skill=0.3)]


def test_report_has_an_efficiency_section_with_labels_and_front(runs) -> None:  # type: ignore[no-untyped-def]
    loaded = [load_run(p) for p in runs]
    sample = loaded[0].samples[0].metadata
    assert sample["energy_kind"] in ("estimated", "measured") and sample["cpu_s"] >= 0
    html = build_report(loaded)
    assert 'id="efficiency"' in html and "estimated" in html
    assert 'class="pareto"' in html and "Pareto front" in html
    section = html.split('id="efficiency"')[1].split("</section>")[0]
    assert "model-b <i>" not in section and "model-b &lt;i&gt;" in section   # names escaped


def test_dashboard_efficiency_page(runs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = ResultsStore(tmp_path / "store.sqlite")
    try:
        client = TestClient(create_app(store), base_url="http://127.0.0.1")
        empty = client.get("/efficiency")
        assert empty.status_code == 200 and "No metered runs" in empty.text
        for p in runs:
            store.import_dir(p)
        page = client.get("/efficiency")
        assert page.status_code == 200 and 'id="efficiency"' in page.text and "<svg" in page.text
        assert "estimated" in page.text and 'id="nav-efficiency"' in page.text
        only = client.get("/efficiency", params={"model": "model-a"})
        assert only.status_code == 200 and "model-b" not in only.text.split('id="efficiency"')[1]
    finally:
        store.close()
