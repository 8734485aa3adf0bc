"""The response cache: what is put is read back, survives a reopen, and a failed background
write reaches the caller as a clear error instead of vanishing with the writer thread."""

from __future__ import annotations

import json
import math
import sqlite3
import time

import pytest

from assay.core.requests import Loglikelihood
from assay.core.responses import Completion, LoglikelihoodResult, Usage
from assay.engine.cache import CacheWriteError, ResponseCache


def _pairs(n: int, offset: int = 0) -> list[tuple[Loglikelihood, LoglikelihoodResult]]:
    return [(Loglikelihood(f"context {i}", f" option {i}"), LoglikelihoodResult(-0.5 * i, i % 2 == 0, 2, Usage(7)))
            for i in range(offset, offset + n)]


def test_put_then_read_sees_everything_put(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    pairs = _pairs(300)
    for start in range(0, 300, 64):  # chunks as the executor hands them over
        cache.put_many("m", pairs[start:start + 64])
    found = cache.get_many("m", [r for r, _ in pairs])  # waits for the writer
    assert found == {r.key(): a for r, a in pairs}
    assert cache.count("m") == 300 and cache.count("other") == 0
    cache.close()
    cache.close()  # twice is fine
    reopened = ResponseCache(tmp_path / "c.sqlite")
    assert reopened.count() == 300
    reopened.close()


def test_failed_responses_are_not_stored(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    failed = LoglikelihoodResult(math.nan, False, 0, error="boom")
    assert cache.put_many("m", [(Loglikelihood("a", "b"), failed)]) == 0
    assert cache.count() == 0
    cache.close()


def test_writer_commits_on_its_own_when_idle(tmp_path):
    """Without flush or close, a second connection sees the rows within about half a second
    of quiet: a crash then loses at most that much."""
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put_many("m", _pairs(10))
    deadline = time.monotonic() + 10
    seen = 0
    while time.monotonic() < deadline and seen < 10:
        time.sleep(0.1)
        with sqlite3.connect(tmp_path / "c.sqlite") as other:
            seen = other.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    assert seen == 10
    cache.close()


def test_writer_stops_when_idle_and_starts_again(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.commit_every_s = 0.05
    cache.put_many("m", _pairs(5))
    deadline = time.monotonic() + 10
    while cache._writer is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert cache._writer is None  # an unclosed cache holds no thread (nor, through it, itself)
    cache.put_many("m", _pairs(5, offset=5))
    assert cache.count("m") == 10
    cache.close()


def test_a_failed_write_is_raised_in_the_callers_thread(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put_many("m", _pairs(3))
    cache.flush()
    cache._conn.execute("PRAGMA query_only = ON")  # every later write fails inside the writer thread
    cache.put_many("m", _pairs(3, offset=3))
    with pytest.raises(CacheWriteError, match=r"c\.sqlite failed: OperationalError.*a rerun recomputes them"):
        cache.flush()
    with pytest.raises(CacheWriteError):
        cache.put_many("m", _pairs(1, offset=9))
    with pytest.raises(CacheWriteError):
        cache.close()
    reopened = ResponseCache(tmp_path / "c.sqlite")
    assert reopened.count() == 3  # what was committed before the failure is kept
    reopened.close()


def test_closed_cache_refuses_use(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.close()
    with pytest.raises(CacheWriteError, match="closed"):
        cache.put_many("m", _pairs(1))


@pytest.mark.parametrize("logprob", [-1.25, -0.0, 0.0, -1e-300, -123456789.125, -math.inf, math.nan, 1e16])
@pytest.mark.parametrize("ttft", [None, 0.125, 3e-07])
def test_loglikelihood_json_equals_the_generic_encoding(logprob, ttft):
    result = LoglikelihoodResult(logprob, logprob == 0.0, 3, Usage(11, 0, 0.0123, ttft, None if ttft is None else ttft / 3))
    assert result.to_json() == json.dumps(result.to_dict())
    assert json.loads(result.to_json(), parse_constant=lambda c: c) is not None


def test_loglikelihood_json_falls_back_for_unusual_types():
    import numpy as np

    odd = LoglikelihoodResult(-1.0, False, 2, Usage(5, 0, 0))  # an int latency
    assert odd.to_json() == json.dumps(odd.to_dict())
    with pytest.raises(TypeError):  # the generic encoder's own error for a numpy int, not a wrong text
        LoglikelihoodResult(-1.0, False, np.int64(2)).to_json()
    completion = Completion(("hi",), "stop")
    assert completion.to_json() == json.dumps(completion.to_dict())
