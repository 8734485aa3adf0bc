"""The results store on a real SQLite file: save, load, list, search, import, scrubbing, CLI."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from assay.cli import main
from assay.core.run import Run
from assay.store import (
    ResultsStore, StoreError, default_store_location, load_run, load_run_dir, load_runs, store_url, write_run_dir,
)
from tests.unit.store.runs import SECRET, make_run

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("runs")
    return make_run(root / "alpha", "alpha", skill=0.7, secrets=True), make_run(root / "beta", "beta", skill=0.3)


@pytest.fixture()
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    with ResultsStore(tmp_path / "store.sqlite") as s:
        yield s


def test_load_gives_back_what_the_run_directory_holds(store: ResultsStore, run_dirs: tuple[Path, Path]) -> None:
    saved = load_run_dir(run_dirs[0])
    info = store.import_dir(run_dirs[0])
    assert info.run_id == saved.run_id and info.model == "alpha"
    assert info.n_samples == len(saved.samples) and info.tasks == tuple(saved.tasks)
    loaded = store.load(info.run_id)
    assert isinstance(loaded, Run)
    assert loaded.samples == saved.samples  # every field of every sample, in order
    assert loaded.tasks == saved.tasks  # summaries, scorer specs, generation parameters
    assert loaded.model == "alpha" and loaded.run_id == saved.run_id
    metrics = store.metrics([info.run_id])
    say = next(m for m in metrics if m.task == "say")
    assert say.metric == "exact_match" and say.position == 0
    assert say.value == pytest.approx(saved.tasks["say"].metrics["exact_match"].value)
    assert say.ci_low <= say.value <= say.ci_high and say.n == 60


def test_import_is_idempotent_and_runs_are_listed_newest_first(store: ResultsStore, run_dirs) -> None:  # type: ignore[no-untyped-def]
    alpha, beta = (load_run_dir(d) for d in run_dirs)
    alpha.manifest["started"] = "2026-01-02T00:00:00+00:00"
    beta.manifest["started"] = "2026-01-03T00:00:00+00:00"
    for run in (alpha, beta, alpha):
        store.save(run)
    runs = store.runs()
    assert [r.model for r in runs] == ["beta", "alpha"]  # newest first, alpha stored once
    assert [r.model for r in store.runs(model="alpha")] == ["alpha"]
    assert len(store.runs(limit=1)) == 1 and store.models() == ["alpha", "beta"]
    assert sum(m.run_id == runs[1].run_id for m in store.metrics()) == 6  # 4 tasks, arith-mc/logic-mc have 2


def test_run_ids_resolve_by_unique_prefix(store: ResultsStore, run_dirs) -> None:  # type: ignore[no-untyped-def]
    a = store.import_dir(run_dirs[0])
    store.import_dir(run_dirs[1])
    assert store.resolve_id(a.run_id) == a.run_id
    assert store.load(a.run_id[:-2]).run_id == a.run_id  # the random suffix tells the two apart
    with pytest.raises(StoreError, match="no run 'nope'"):
        store.resolve_id("nope")
    with pytest.raises(StoreError, match="several runs"):
        store.resolve_id(a.run_id[:4])  # both runs start with the year


def test_sample_search_is_case_insensitive_escaped_and_paged(store: ResultsStore, run_dirs) -> None:  # type: ignore[no-untyped-def]
    info = store.import_dir(run_dirs[0])
    rows, total = store.samples(info.run_id, task="say", limit=7)
    assert total == 60 and len(rows) == 7 and rows[0].sample_id == "say-000"
    page2, _ = store.samples(info.run_id, task="say", offset=7, limit=7)
    assert page2[0].sample_id == "say-007"
    hits, n = store.samples(info.run_id, query="SAY 15")  # prompt "Say 150".."Say 159"
    assert n == 10 and all(r.task == "say" for r in hits)
    assert store.samples(info.run_id, query="%")[1] == 0  # LIKE wildcards are literal
    assert store.samples(info.run_id, query="say_0")[1] == 0
    one = store.sample(info.run_id, "say", "say-042")
    assert one is not None and one.prompt.endswith("Say 142")
    assert store.sample(info.run_id, "say", "missing") is None


def test_secrets_are_scrubbed_before_they_reach_the_database(tmp_path: Path, run_dirs) -> None:  # type: ignore[no-untyped-def]
    assert SECRET in (run_dirs[0] / "results.json").read_text()  # the run directory has them...
    db = tmp_path / "s.sqlite"
    with ResultsStore(db) as store:
        info = store.import_dir(run_dirs[0])
        manifest = store.manifest(info.run_id)
    assert manifest["api_key"] == "[redacted]" and manifest["env"]["OPENAI_API_KEY"] == "[redacted]"
    assert manifest["env"]["HOME"] == "/home/someone"
    assert manifest["command"][:5] == ["assay", "run", "openai:gpt", "--api-key", "[redacted]"]
    assert manifest["command"][5] == "--token=[redacted]"
    assert "user:[redacted]@example.invalid" in manifest["endpoint"]
    assert manifest["packages"] and manifest["seed"] == 0  # the rest is kept
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())  # ...the store (db + WAL) never does
    assert SECRET.encode() not in raw


def test_nan_scores_and_nul_characters_survive(store: ResultsStore, tmp_path: Path, run_dirs) -> None:  # type: ignore[no-untyped-def]
    run = load_run_dir(run_dirs[1])
    run.samples[0] = dataclasses.replace(run.samples[0], scores={"acc": float("nan"), "acc_norm": 0.5},
                                         response="a\x00b")
    store.save(run)
    back = store.load(run.run_id).samples[0]
    assert math.isnan(back.scores["acc"]) and back.scores["acc_norm"] == 0.5 and back.response == "a\ufffdb"


def test_store_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ASSAY_STORE", raising=False)
    assert default_store_location() == str(tmp_path / "home" / "store.sqlite")
    monkeypatch.setenv("ASSAY_STORE", "postgresql+psycopg://u:pw@db.example/assay")
    assert store_url() == "postgresql+psycopg://u:pw@db.example/assay"
    assert store_url(tmp_path / "x.sqlite") == f"sqlite:///{tmp_path / 'x.sqlite'}"
    with ResultsStore("sqlite:///" + str(tmp_path / "deep" / "dir" / "s.sqlite")) as s:
        assert s.runs() == [] and (tmp_path / "deep" / "dir" / "s.sqlite").exists()


def test_store_errors_are_assay_errors_without_passwords(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StoreError) as err:
        ResultsStore(tmp_path / "file" / "store.sqlite")
    assert "store" in str(err.value)
    with pytest.raises(StoreError) as err:  # nothing listens on port 9: connection refused, password hidden
        ResultsStore("postgresql+psycopg://user:hunter2@127.0.0.1:9/db")
    assert "hunter2" not in str(err.value) and "***" in str(err.value)


def test_load_runs_takes_directories_and_ids(tmp_path: Path, run_dirs) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "s.sqlite"
    with ResultsStore(db) as store:
        beta = store.import_dir(run_dirs[1])
    runs = load_runs([str(run_dirs[0]), beta.run_id], db)
    assert [r.model for r in runs] == ["alpha", "beta"]
    with pytest.raises(StoreError):
        load_runs(["no-such-run"], db)
    assert load_run(run_dirs[0]).model == "alpha"
    assert load_run(beta.run_id[:-1], db).run_id == beta.run_id  # a unique prefix
    with ResultsStore(db) as store:
        assert load_run(beta.run_id, store).samples == load_run_dir(run_dirs[1]).samples


def test_a_run_directory_round_trips_and_older_results_still_load(tmp_path: Path, run_dirs) -> None:  # type: ignore[no-untyped-def]
    run = load_run_dir(run_dirs[1])
    again = load_run_dir(write_run_dir(run, tmp_path / "copy"))
    assert again.tasks == run.tasks and again.samples == run.samples and again.manifest == run.manifest
    assert (tmp_path / "copy" / "samples.jsonl").read_text() == (run_dirs[1] / "samples.jsonl").read_text()
    # results.json as older versions wrote it: no scorer specs, no generation parameters
    old = json.loads((run_dirs[1] / "results.json").read_text())
    for task in old["tasks"].values():
        del task["scorers"], task["generation"]
    (tmp_path / "copy" / "results.json").write_text(json.dumps(old))
    legacy = load_run_dir(tmp_path / "copy")
    assert all(t.scorers == [] and t.generation is None for t in legacy.tasks.values())
    assert {n: t.metrics for n, t in legacy.tasks.items()} == {n: t.metrics for n, t in run.tasks.items()}


def test_cli_import_runs_and_report(tmp_path: Path, run_dirs, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "s.sqlite")
    assert main(["import", *map(str, run_dirs), "--store", db]) == 0
    capsys.readouterr()
    assert main(["runs", "--store", db, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted(r["model"] for r in listed) == ["alpha", "beta"]
    listed.sort(key=lambda r: r["model"], reverse=True)
    assert main(["report", listed[0]["run_id"], str(run_dirs[0]), "--store", db, "-o", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text()
    assert "beta" in html and "alpha" in html
    assert main(["report", "nope", "--store", db, "-o", str(tmp_path / "x.html")]) == 2
    assert "no run 'nope'" in capsys.readouterr().err


def test_assay_run_saves_to_the_store_and_a_store_failure_only_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import assay.models
    from assay.testing import InstantModel

    monkeypatch.setattr(assay.models, "load_model", lambda spec, options=None, progress=None: InstantModel(name=spec))
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "store.sqlite"
    args = ["run", "instant", "logic-mc:n=12", "--no-cache", "--quiet"]
    assert main([*args, "--out", "ok", "--store", str(db)]) == 0
    with ResultsStore(db) as store:
        (info,) = store.runs()
    assert info.model == "instant" and info.n_samples == 12 and info.source == str(tmp_path / "ok")
    (tmp_path / "blocker").write_text("")
    assert main([*args, "--out", "kept", "--store", str(tmp_path / "blocker" / "s.sqlite")]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "not saved to the results store" in err and "assay import" in err
    assert (tmp_path / "kept" / "samples.jsonl").exists() and (tmp_path / "kept" / "results.json").exists()


def test_serve_refuses_non_loopback_addresses() -> None:
    done = subprocess.run([sys.executable, "-m", "assay", "serve", "--host", "0.0.0.0", "--port", "1"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2 and "refusing to listen on 0.0.0.0" in done.stderr and "--allow-remote" in done.stderr
    assert "Traceback" not in done.stderr
