"""A real checkpoint series end to end (issue 20): a tiny Llama-style LM is trained here from
scratch (seconds), its checkpoints are evaluated as one stored series, grown by a
checkpoint (only the new one is computed), and the curves, stability gap, signal quality,
forecasts, CLI, HTML report and dashboard page are read back. A checkpoint that fails to
load mid-series names itself and leaves the runs before it stored."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from assay.testing.tiny_lm import TrainPlan, train_series

TASKS = ["arith-mc:n=12", "fiction-mc:n=10"]
STEPS = (0, 10, 20, 30, 45, 60)


def _other_text() -> list[str]:
    """The second domain for the test: word-problem prose without answers (the benchmark
    uses the King James Bible from Debian's bible-kjv-text instead)."""
    from assay.tasks.builtin import make_builtin

    return [s.input for s in make_builtin("word-gen", n=300, seed=99).load()]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("series-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("ASSAY_HOME", str(root))
    mp.setenv("ASSAY_STORE", str(root / "store.sqlite"))
    yield root
    mp.undo()


@pytest.fixture(scope="module")
def one_thread() -> None:
    """Torch on one thread while this module trains and evaluates: with the cores shared,
    more threads only thrash (measured: 7 s instead of 53 s for 80 items under load)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def trained(home: Path, one_thread: None) -> Path:
    plan = TrainPlan(width=32, layers=2, heads=2, steps=60, seq_len=64, batch=8, warmup=5, lr=5e-3,
                     checkpoints=STEPS, shift=30, vocab=384)
    return train_series(plan, home / "train", other_text=_other_text, n_per_task=120, log=lambda _m: None)


@pytest.fixture(scope="module")
def evaluated(home: Path, trained: Path) -> tuple[str, Path, list[str]]:
    """The series grown by one checkpoint: first steps 0-45, then step 60 added."""
    import assay

    grow = home / "grow"
    grow.mkdir()
    for step in STEPS[:-1]:
        shutil.copytree(trained / f"step-{step:06d}", grow / f"step-{step:06d}")
    first = assay.evaluate_series(grow, TASKS, formulations=["cloze", "listed"], shift=30, out=home / "runs",
                                  cache=home / "cache.sqlite")
    assert [e.step for e in first.entries] == list(STEPS[:-1])
    shutil.copytree(trained / f"step-{STEPS[-1]:06d}", grow / f"step-{STEPS[-1]:06d}")
    said: list[str] = []
    grown = assay.evaluate_series(grow, TASKS, formulations=["cloze", "listed"], shift=30, out=home / "runs",
                                  cache=home / "cache.sqlite", on_message=said.append)
    assert grown.id == first.id
    return grown.id, grow, said


def test_a_grown_series_runs_only_its_new_checkpoint(evaluated: tuple[str, Path, list[str]], home: Path) -> None:
    from assay.analyses.series import load_manifest, load_series_runs

    sid, _, said = evaluated
    assert sum("already evaluated" in m for m in said) == len(STEPS) - 1
    manifest = load_manifest(sid)
    assert [e.step for e in manifest.entries] == list(STEPS) and manifest.shift == 30
    pairs = load_series_runs(manifest)
    assert [run.manifest["series"]["step"] for _, run in pairs] == list(STEPS)
    assert set(pairs[0][1].tasks) == {"arith-mc@cloze", "arith-mc@listed", "fiction-mc@cloze", "fiction-mc@listed"}
    # the runs are in the results store too
    from assay.store import ResultsStore

    with ResultsStore(home / "store.sqlite") as store:
        assert {e.run_id for e in manifest.entries} <= {r.run_id for r in store.runs()}


def test_curves_gap_quality_and_forecasts_on_the_real_series(evaluated: tuple[str, Path, list[str]]) -> None:
    import assay

    sid, _, _ = evaluated
    curves = assay.show_series(sid, n_boot=100)
    by_task = {c.task: c for c in curves.tasks}
    assert set(by_task) == {"arith-mc@cloze", "arith-mc@listed", "fiction-mc@cloze", "fiction-mc@listed"}
    for c in curves.tasks:
        assert [p.step for p in c.points] == list(STEPS)
        assert all(p.ci_low <= p.mean <= p.ci_high for p in c.points)
        assert len(c.neighbours) == len(STEPS) - 1 and c.chance > 0
    assert curves.skills and all(c.skill for c in curves.skills)
    assert set(curves.gaps) == set(by_task)
    for gap in curves.gaps.values():
        assert gap.baseline_step == 30 and gap.trough_step > 30
        assert not gap.found or gap.p_value < 0.05
    rows = assay.quality_of_series([sid])
    assert {r.formulation for r in rows} == {"cloze", "listed"}
    assert all(-1 <= r.quality.monotonicity <= 1 for r in rows)
    preds = assay.forecast_series(sid, fit_until=30, methods=["cod", "passuntil"], n_boot=20,
                                  tasks=["fiction-mc@cloze"])
    assert {(p.target, p.prediction.method) for p in preds} == {(f"step {s}", m) for s in (45, 60)
                                                              for m in ("cod", "passuntil")}
    for p in preds:
        assert 0 <= p.prediction.pi_low <= p.prediction.predicted <= p.prediction.pi_high <= 1
        assert p.prediction.actual is not None and not math.isnan(p.prediction.naive)


def test_cli_report_and_dashboard(evaluated: tuple[str, Path, list[str]], home: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    from fastapi.testclient import TestClient

    from assay.cli import main
    from assay.store import ResultsStore
    from assay.web.app import create_app

    sid, grow, _ = evaluated
    html = home / "series.html"
    assert main(["series", "show", sid, "--skills", "--html", str(html)]) == 0
    printed = capsys.readouterr().out
    assert "arith-mc@cloze" in printed and "stability gap" in printed
    page = html.read_text()
    assert page.count('class="ci-band"') >= 4 and 'class="shift"' in page
    assert main(["series", "quality", str(grow)]) == 0  # the folder names the series too
    assert "formulation" in capsys.readouterr().out
    assert main(["series", "predict", sid, "--fit-until", "30", "--n-boot", "10", "--task", "arith-mc@cloze"]) == 0
    assert "naive" in capsys.readouterr().out
    assert main(["series", "show", "no-such-series"]) == 2
    with ResultsStore(home / "store.sqlite") as store:
        client = TestClient(create_app(store), base_url="http://127.0.0.1")
        listing = client.get("/series")
        assert listing.status_code == 200 and sid in listing.text
        one = client.get(f"/series/{sid}")
        assert one.status_code == 200 and 'class="ci-band"' in one.text and "signal quality" in one.text
        assert client.get("/series/nope").status_code == 404


def test_a_checkpoint_that_fails_to_load_is_named_and_earlier_runs_stay(home: Path, trained: Path) -> None:
    import assay
    from assay.analyses.series import SeriesError, load_manifest

    broken = home / "broken"
    broken.mkdir()
    for step in (10, 20, 30):
        shutil.copytree(trained / f"step-{step:06d}", broken / f"step-{step:06d}")
    (broken / "step-000020" / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(SeriesError, match=r"checkpoint 'step-000020' \(step 20\) failed to load.*1 runs before it") as err:
        assay.evaluate_series(broken, ["arith-mc:n=5"], out=home / "runs", cache=None, store=False)
    sid = str(err.value).split("series ")[-1].split()[0]
    assert [e.step for e in load_manifest(sid).entries] == [10]
