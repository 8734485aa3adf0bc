"""Episodes on a page: the HTML report's agents section (summary with pass^k and failures by
party, then episodes turn by turn) and the dashboard's sample page show the trajectory of
a real run of the scripted tool agent, saved to a real SQLite store."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

import assay
from assay.report.html import build_report
from assay.report.trajectory import turn_views
from assay.store import ResultsStore
from assay.testing import InstantModel
from assay.web.app import create_app
from tests.support.scripted_agents import tools_oracle


def test_trajectory_in_report_and_dashboard(tmp_path: Path) -> None:
    task = assay.make_env_task("tools", {"n": 4, "kind": "file"})
    run = assay.evaluate(InstantModel(reply=tools_oracle), [task], cache=None, out=tmp_path / "run",
                         store=tmp_path / "store.sqlite")
    record = run.samples[0]
    rows = turn_views(record.metadata)
    assert [r["turn"] for r in rows] == [0, 1, 2, 3]
    assert '"tool": "read_file"' in rows[1]["action"] and "credits" in rows[1]["observation"]
    assert rows[3]["reward"] == "1.0" and rows[3]["checkpoint"] == "answer"

    html = build_report([run])
    assert 'id="agents"' in html and "pass^1" in html and "agent 0, environment 0, budget 0" in html
    assert html.count('class="trajectory"') == 3  # the first episodes, turn by turn

    with ResultsStore(tmp_path / "store.sqlite") as store:
        client = TestClient(create_app(store), base_url="http://127.0.0.1")
        page = client.get(f"/runs/{run.run_id}/samples/{task.name}/{record.sample_id}")
        assert page.status_code == 200
        assert 'id="sample-turns"' in page.text and "read_file" in page.text and "credits" in page.text
