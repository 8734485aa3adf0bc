"""The single-file HTML report: content, safety of embedded data, offline, and its size."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import math
import re
import time
from pathlib import Path

import pytest

from assay.analyses.summaries import breakdown, format_spread, leaderboard, mean_of_task_scores, run_scores
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.report.html import build_report, embed_json, write_report
from assay.report.svg import ForestRow, forest_plot
from assay.core.results import MetricSummary
from assay.store import load_run_dir, write_run_dir
from assay.tasks.format_grammar import sample_formats
from assay.tasks.resolve import resolve_tasks
from assay.testing import InstantModel
from tests.unit.store.runs import HOSTILE, SECRET, make_formats_run, make_run


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("report")
    a = make_run(root / "a", "alpha", skill=0.7, secrets=True)
    b = make_run(root / "b", "beta", skill=0.3, formats=sample_formats(2, 0)[1:])  # `say` in 2 formats
    return load_run_dir(a), load_run_dir(b)


def _data(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="assay-data">(.*?)</script>', html, re.S)
    assert block is not None
    return json.loads(block.group(1))


def test_report_has_every_section_with_intervals(runs) -> None:  # type: ignore[no-untyped-def]
    html = build_report(list(runs))
    for anchor in ('id="summary"', 'id="forest"', 'id="breakdowns"', 'id="formats"', 'id="samples"', 'id="runs"'):
        assert anchor in html
    m = runs[0].tasks["say"].metrics["exact_match"]
    assert f"{100 * m.value:.1f}" in html and f"[{100 * m.ci_low:.1f}, {100 * m.ci_high:.1f}]" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="forest"') == 1
    for key in ("family", "skills", "difficulty"):
        assert f'id="breakdown-{key}"' in html
    data = _data(html)
    assert len(data["samples"]) == len(runs[0].samples) + len(runs[1].samples)
    assert [r["model"] for r in data["runs"]] == ["alpha", "beta"]
    mc = next(s for s in data["samples"] if s["t"] == "arith-mc")
    assert re.fullmatch(r"[A-D]\. .+", mc["y"])  # option index shown as "C. 52"


def test_format_strip_of_a_real_formats_run(runs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A run made as `assay run instant arith-mc:n=12 logic-mc:n=10 --formats 3` writes it:
    each task once per format, as TASK@FORMAT_ID. The strip shows each task's formats."""
    formats = sample_formats(3, 0)
    run = load_run_dir(make_formats_run(tmp_path / "f", k=3, suites=("arith-mc:n=12", "logic-mc:n=10")))
    assert list(run.tasks) == [f"{t}@{f.id}" for t in ("arith-mc", "logic-mc") for f in formats]
    spread = format_spread(run)
    assert list(spread) == ["arith-mc", "logic-mc"]
    assert list(spread["arith-mc"]) == [f.id for f in formats]
    assert spread["arith-mc"][formats[1].id] == run.tasks[f"arith-mc@{formats[1].id}"].metrics["acc"]
    html = build_report([run])
    assert 'id="formats"' in html and html.count('<tr class="spread">') == 2
    assert html.count('class="strip"') == 2 and f"{formats[1].id} " in html
    # a run in one format (its variants in different tasks only) has no strip
    assert format_spread(runs[0]) == {} and 'id="formats"' not in build_report([runs[0]])


def test_format_strip_of_a_task_beside_its_variant(runs) -> None:  # type: ignore[no-untyped-def]
    """`say` and its format variant `say@FORMAT_ID` in one run (the dashboard's `beta`): one strip."""
    spread = format_spread(runs[1])
    assert list(spread) == ["say"] and list(spread["say"]) == ["default", sample_formats(2, 0)[1].id]
    assert build_report(list(runs)).count('<tr class="spread">') == 1


def test_hostile_text_is_inert_and_secrets_are_absent(tmp_path: Path) -> None:
    run = load_run_dir(make_run(tmp_path / "h", "evil<script>alert(1)</script>", hostile=True, secrets=True))
    run.samples[0] = dataclasses.replace(run.samples[0], prompt="</script><script>window.__pwned=1</script><!-- x")
    html = build_report([run])
    assert SECRET not in html
    block = re.search(r'<script type="application/json" id="assay-data">(.*?)</script>', html, re.S).group(1)
    # Outside the data block no markup but ours: one script, the model name escaped.
    outside = html.replace(block, "")
    assert outside.count("<script") == 2 and outside.count("</script>") == 2 and "<img" not in outside
    assert "evil&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "</" not in block and "<!--" not in block and "<\\/script>" in block
    data = json.loads(block)
    assert data["samples"][0]["p"].startswith("</script><script>")
    assert any(s["o"] == HOSTILE for s in data["samples"])
    assert embed_json({"x": "</b><!--"}) == '{"x":"<\\/b><\\u0021--"}'


def test_report_needs_no_network_and_pins_its_script_by_hash(runs) -> None:  # type: ignore[no-untyped-def]
    html = build_report(list(runs))
    assert not re.search(r'(?:src|href)\s*=\s*["\']?(?:https?:)?//', html)
    assert "@import" not in html and "url(" not in html
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in csp
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp


def test_breakdowns_and_means(runs) -> None:  # type: ignore[no-untyped-def]
    alpha = runs[0]
    skills = breakdown(alpha, "skills")
    say_rows = alpha.rows("say")
    assert skills["copy"].n == 60 and skills["long"].n == 30
    assert skills["copy"].value == pytest.approx(sum(r.scores["exact_match"] for r in say_rows) / 60)
    assert list(breakdown(alpha, "difficulty"))[:3] == ["1", "2", "3"]
    parts = [MetricSummary("a", 0.5, 100, 0.05, 0.4, 0.6, "t"), MetricSummary("b", 0.7, 100, 0.04, 0.62, 0.78, "t")]
    mean = mean_of_task_scores(parts)
    assert mean.value == pytest.approx(0.6) and mean.stderr == pytest.approx(math.sqrt(0.05**2 + 0.04**2) / 2)
    assert mean.ci_low == pytest.approx(0.6 - 1.959964 * mean.stderr, abs=1e-5)


def test_leaderboard_uses_latest_run_and_common_tasks(runs) -> None:  # type: ignore[no-untyped-def]
    scores = run_scores(runs[0]) + run_scores(runs[1])
    board = leaderboard(scores)
    assert [r.model for r in board.rows] == ["alpha", "beta"]  # alpha is better on `say`
    assert board.common_tasks == ["arith-mc", "logic-mc", "arith-gen", "say"]
    assert board.rows[0].scores["arith-mc"].metric == "acc"
    assert leaderboard(scores, metric="acc_norm").rows[0].scores["arith-mc"].metric == "acc_norm"
    older = [s.__class__(**{**s.__dict__, "started": "2000-01-01", "run_id": "old"}) for s in run_scores(runs[1])]
    assert leaderboard(scores + older).rows[1].scores["say"].run_id == runs[1].run_id


def test_forest_plot_escapes_labels() -> None:
    s = MetricSummary("acc", 0.4, 50, 0.07, 0.27, 0.54, "wilson")
    svg = forest_plot([ForestRow("<script>x</script>", [s, None])], ["<b>m</b>", "n"])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;m&lt;/b&gt;" in svg


def test_report_size_for_1000_samples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = evaluate(InstantModel(), resolve_tasks(["arith-mc:n=1000"]), ResponseCache(None),
                   RunOptions(show_progress=False))
    saved = load_run_dir(write_run_dir(run, tmp_path / "big"))
    started = time.perf_counter()
    path = write_report([saved], tmp_path / "report.html")
    seconds = time.perf_counter() - started
    size = path.stat().st_size
    with capsys.disabled():
        print(f"\n[report size] 1,000 samples (arith-mc): {size / 1024:.0f} KiB, built in {seconds:.2f} s")
    assert size < 2_000_000 and seconds < 10
    assert len(_data(path.read_text())["samples"]) == 1000


def test_max_samples_caps_the_embedded_table(runs) -> None:  # type: ignore[no-untyped-def]
    html = build_report([runs[0]], max_samples=10, title="<i>capped</i>")
    assert len(_data(html)["samples"]) == 10
    assert f"Showing the first 10 of {len(runs[0].samples)} samples" in html
    assert "<title>&lt;i&gt;capped&lt;/i&gt;</title>" in html
