"""The results store on a real PostgreSQL server, started for this module in a throwaway cluster.

Needs Debian's `postgresql` package (initdb, pg_ctl; `make test` installs it) and psycopg
(the `postgres` extra). As root, the server runs as the `postgres` user (PostgreSQL refuses
to run as root). Skipped, with the reason, when any of that is missing.
"""

from __future__ import annotations

import dataclasses

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from assay.store import ResultsStore, load_run_dir
from tests.unit.store.runs import SECRET, make_run


def _pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'assay-eval[postgres]')")
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="assay-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root without runuser to start PostgreSQL as the 'postgres' user")
        prefix = [runuser, "-u", "postgres", "--"]
        os.chown(root, user.pw_uid, user.pw_gid)
    port, data = _free_port(), root / "data"
    try:
        subprocess.run([*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "assay", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60", "-o",
                        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=120)
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')}\n{log}")
    try:
        yield f"postgresql+psycopg://assay@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def test_postgres_store_round_trip(postgres_url: str, tmp_path: Path) -> None:
    run_dir = make_run(tmp_path / "alpha", "alpha", skill=0.6, secrets=True)
    saved = load_run_dir(run_dir)
    saved.samples[0] = dataclasses.replace(saved.samples[0], response="nul \x00 inside")
    with ResultsStore(postgres_url) as store:
        info = store.save(saved)
        store.save(saved)  # replacing is idempotent
        assert [r.run_id for r in store.runs()] == [info.run_id]
        back = store.load(info.run_id[:-1])
        assert back.samples[1:] == saved.samples[1:] and back.samples[0].response == "nul \ufffd inside"
        assert list(back.tasks) == list(saved.tasks)  # task order kept
        assert store.manifest(info.run_id)["api_key"] == "[redacted]"
        assert SECRET not in str(store.manifest(info.run_id))
        hits, total = store.samples(info.run_id, query="SAY 15")  # ILIKE on PostgreSQL
        assert total == 10
        assert store.samples(info.run_id, query="%")[1] == 0
        assert {m.task for m in store.metrics()} == set(saved.tasks)
        store.delete(info.run_id)
        assert store.runs() == []


def test_runs_from_several_machines_land_in_one_store(postgres_url: str, tmp_path: Path) -> None:
    """Issue 19: four processes (as four machines would) run and save at the same time into one
    fresh database; each run is there whole, none overwrote another."""
    import psycopg

    with psycopg.connect(postgres_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE writers")
    url = postgres_url.rsplit("/", 1)[0] + "/writers"
    root = Path(__file__).resolve().parents[3]
    writers = [subprocess.Popen([sys.executable, "-m", "tests.support.store_writer", url, str(tmp_path / f"m{i}"), f"m{i}"],
                                cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
    ids = []
    for writer in writers:
        out, err = writer.communicate(timeout=180)
        assert writer.returncode == 0, err[-2000:]
        ids.append(out.strip().splitlines()[-1])
    with ResultsStore(url) as store:
        runs = {r.run_id: r for r in store.runs()}
        assert set(runs) == set(ids)
        assert {r.model for r in runs.values()} == {f"m{i}" for i in range(4)}
        assert all(r.n_samples == 10 and r.n_failed == 0 for r in runs.values())
        for run_id in ids:
            assert len(store.load(run_id).samples) == 10
