"""Fixtures for the report and dashboard tests: real runs in a real SQLite store, a real
`assay serve` on a free loopback port, and a real headless Chromium driven by Playwright.

Chromium is Debian's (/usr/bin/chromium, installed by `make setup`); Playwright's wheel
brings only its driver (`playwright install` is never run). Without either, the browser
tests skip and say why; the HTTP-level dashboard tests still run.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from assay.store import ResultsStore
from assay.tasks.format_grammar import sample_formats
from tests.unit.store.runs import make_run

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass(frozen=True)
class Dashboard:
    root: Path
    store: Path
    runs: dict[str, str]  # model -> run id
    dirs: dict[str, Path]  # model -> run directory


@pytest.fixture(scope="session")
def dashboard_data(tmp_path_factory: pytest.TempPathFactory) -> Dashboard:
    """Three runs in one store: alpha (good at `say`, secrets in its manifest), beta (worse,
    and `say` again in a second prompt format, as the engine names it: `say@FORMAT_ID`), and
    evil (every response an XSS payload, a hostile model name and sample id)."""
    root = tmp_path_factory.mktemp("dashboard")
    dirs = {
        "alpha": make_run(root / "alpha", "alpha", skill=0.75, secrets=True),
        "beta": make_run(root / "beta", "beta", skill=0.3, formats=sample_formats(2, 0)[1:]),
        "evil<b>x</b>": make_run(root / "evil", "evil<b>x</b>", hostile=True, secrets=True),
    }
    store = root / "store.sqlite"
    with ResultsStore(store) as s:
        runs = {model: s.import_dir(d).run_id for model, d in dirs.items()}
    return Dashboard(root, store, runs, dirs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(dashboard_data: Dashboard) -> Iterator[str]:
    """`assay serve` over the store, on 127.0.0.1 and a free port; stopped at the end."""
    pytest.importorskip("fastapi", reason="the dashboard needs the web extra: pip install 'assay-eval[web]'")
    pytest.importorskip("uvicorn", reason="the dashboard needs the web extra: pip install 'assay-eval[web]'")
    port = _free_port()
    log = dashboard_data.root / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "assay", "serve", "--store", str(dashboard_data.store),
                                 "--port", str(port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"assay serve did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"headless Chromium not found at {CHROMIUM}: `make setup` installs Debian's chromium "
                    "(apt-get install chromium chromium-driver)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Watched:
    """A page and what it did that it should not: script errors, requests off this machine."""

    page: Any
    errors: list[str]
    external: list[str]

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture()
def page(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1320, "height": 900})
    pg = context.new_page()
    watched = Watched(pg, [], [])
    pg.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    pg.on("console", lambda msg: watched.errors.append(msg.text) if msg.type == "error" else None)

    def gate(route: Any) -> None:
        url = route.request.url
        if url.startswith(("file://", "data:", "http://127.0.0.1:")):
            route.continue_()
        else:
            watched.external.append(url)
            route.abort()

    pg.route("**/*", gate)
    try:
        yield watched
    finally:
        context.close()

