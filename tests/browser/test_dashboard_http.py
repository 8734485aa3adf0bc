"""The dashboard over HTTP (no browser needed): every page answers, with security headers,
no secrets, escaped errors, loopback Host names only; and how fast the pages come back."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

from assay.web import check_bind, is_loopback
from assay.errors import AssayError
from tests.browser.conftest import Dashboard
from tests.unit.store.runs import HOSTILE_ID, SECRET


def get(url: str, host: str | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def test_every_page_answers_fast_without_secrets(live_server: str, dashboard_data: Dashboard,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    alpha, beta, evil = (dashboard_data.runs[m] for m in ("alpha", "beta", "evil<b>x</b>"))
    pages = {
        "runs": "/", "run": f"/runs/{alpha}", "run search": f"/runs/{alpha}?q=say&task=say&page=2",
        "sample": f"/runs/{alpha}/samples/say/say-001", "compare form": "/compare",
        "compare": f"/compare?a={alpha}&b={beta}&task=say&only=all",
        "leaderboard": "/leaderboard", "leaderboard acc_norm": "/leaderboard?metric=acc_norm",
        "hostile run": f"/runs/{evil}", "hostile sample": f"/runs/{evil}/samples/say/{quote(HOSTILE_ID, safe='')}",
    }
    timings = {}
    for name, path in pages.items():
        started = time.perf_counter()
        status, headers, body = get(live_server + path)
        timings[name] = time.perf_counter() - started
        assert status == 200, (name, body[:500])
        assert "script-src" not in headers["content-security-policy"]  # no script may run at all
        assert "default-src 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert SECRET not in body and "<script" not in body.lower()
    with capsys.disabled():
        print("\n[page load] " + ", ".join(f"{k} {1000 * v:.0f} ms" for k, v in timings.items()))
    assert max(timings.values()) < 5


def test_unknown_things_are_404_with_escaped_messages(live_server: str) -> None:
    status, _, body = get(live_server + "/runs/" + quote("<img src=x onerror=alert(1)>", safe=""))
    assert status == 404 and "no run &#39;&lt;img src=x onerror=alert(1)&gt;&#39;" in body and "<img" not in body
    status, _, body = get(live_server + "/runs/nope/samples/say/x")
    assert status == 404
    status, _, body = get(live_server + "/nothing-here")
    assert status == 404 and "Not Found" in body


def test_only_loopback_host_names_are_served(live_server: str) -> None:
    assert get(live_server + "/", host="attacker.example")[0] == 421  # DNS rebinding
    assert get(live_server + "/", host="localhost:1234")[0] == 200


def test_bind_check() -> None:
    for host in ("127.0.0.1", "127.3.2.1", "::1", "[::1]", "localhost"):
        assert is_loopback(host)
        check_bind(host)
    for host in ("0.0.0.0", "192.168.1.5", "::", "example.com"):
        assert not is_loopback(host)
        with pytest.raises(AssayError, match="--allow-remote"):
            check_bind(host)
        check_bind(host, allow_remote=True)
