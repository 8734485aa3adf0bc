"""IRT and skills in reports (issue 13): the calibration page (item map, information curve),
the run report's skills section, and the `assay irt` / `assay diagnose` commands end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assay.analyses.irt_calibration import calibrate, save_calibration
from assay.analyses.irt_data import ResponseMatrix, read_response_csv, write_response_csv
from assay.report.diagnose import skills_section
from assay.report.irt import write_irt_report
from tests.unit.analyses.test_diagnose import _run

ROOT = Path(__file__).resolve().parents[3]
MATH500 = ROOT / "benchmarks" / "data" / "irt" / "math500_responses.csv"


def assay_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assay", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env={"OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def corner(tmp_path_factory) -> Path:
    """40 rows x 60 items of MATH-500 for calibration, the next 6 rows to estimate."""
    m = read_response_csv(MATH500)
    d = tmp_path_factory.mktemp("irt")
    write_response_csv(ResponseMatrix(m.values[:40, :60], m.rows[:40], m.items[:60]), d / "cal.csv")
    write_response_csv(ResponseMatrix(m.values[40:46, :60], m.rows[40:46], m.items[:60]), d / "test.csv")
    return d


def test_calibration_page_has_item_map_and_information_curve(corner, tmp_path) -> None:
    cal = calibrate(read_response_csv(corner / "cal.csv"), n_boot=0)
    html = write_irt_report(cal, tmp_path / "irt.html").read_text()
    assert 'aria-label="item map"' in html and 'aria-label="test information curve"' in html
    assert html.count("<circle") == 60 and "item059" in html and "style=" not in html.split("</head>")[1]


def test_run_report_gains_a_skill_chart() -> None:
    section = skills_section([_run("no-carry", {"carrying"}, 2), _run("strong", set(), 1)])
    assert section is not None and 'aria-label="skill mastery chart"' in section and "carrying" in section
    assert skills_section([]) is None


def test_irt_commands_end_to_end(corner, tmp_path) -> None:
    items = tmp_path / "items.json"
    done = assay_cli("irt", "fit", str(corner / "cal.csv"), "--boot", "3", "-o", str(items))
    assert done.returncode == 0, done.stderr
    est = tmp_path / "est.json"
    done = assay_cli("irt", "estimate", str(items), str(corner / "test.csv"), "--items", "15", "--strategy",
                     "anchors", "--json", str(est))
    assert done.returncode == 0, done.stderr
    rows = json.loads(est.read_text())["rows"]
    assert len(rows) == 6 and {"row", "accuracy", "ci_low", "ci_high", "items_used", "theta", "theta_se",
                               "person_fit"} <= set(rows[0])
    assert all(r["ci_low"] <= r["accuracy"] <= r["ci_high"] and len(r["items_used"]) == 15 for r in rows)
    done = assay_cli("irt", "anchors", str(items), "--k", "8", "-o", str(tmp_path / "a.json"))
    assert done.returncode == 0 and len(json.loads((tmp_path / "a.json").read_text())["anchors"]) <= 8


def test_bad_input_is_one_line_naming_file_line_and_item(corner, tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("row,i1,i2\nm1,1,0\nm2,1,2\n")
    done = assay_cli("irt", "fit", str(bad), "-o", str(tmp_path / "x.json"))
    assert done.returncode == 2 and "bad.csv:3" in done.stderr and "i2" in done.stderr
    assert "Traceback" not in done.stderr
    items = tmp_path / "items.json"
    save_calibration(calibrate(read_response_csv(corner / "cal.csv"), n_boot=0), items)
    short = tmp_path / "short.csv"
    m = read_response_csv(corner / "test.csv")
    write_response_csv(ResponseMatrix(m.values[:, :50], m.rows, m.items[:50]), short)
    done = assay_cli("irt", "estimate", str(items), str(short), "--items", "5")
    assert done.returncode == 2 and "short.csv" in done.stderr and "item050" in done.stderr
