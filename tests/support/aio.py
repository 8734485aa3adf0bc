"""Run a coroutine to completion from synchronous test code, whatever the calling thread.

Playwright's sync API (the browser tests, session-scoped) keeps an event loop running in
the main thread, where `asyncio.run` then refuses to start; a worker thread has none.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Coroutine, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
