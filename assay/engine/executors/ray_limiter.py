"""One provider-wide rate limit shared by every Ray worker: a small actor hands out start slots.

An `openai:` endpoint pool with `rate_limit_rps` limits its own process. Under `--executor ray`
each worker holds its own pool, so the driver starts one `RateLimiterActor` and hands it to
every worker (`RemoteRateLimiter`): each request start asks it for the next free slot on one
shared clock, so N workers together keep to the one limit.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any


class RateLimiterActor:
    """The shared clock (a Ray actor: `ray.remote(RateLimiterActor)`)."""

    def __init__(self, rps: float) -> None:
        self.interval = 1.0 / rps
        self._next = 0.0
        self.granted = 0

    def reserve(self) -> float:
        """Seconds the caller must wait before its start (0 when a slot is free now)."""
        now = time.time()
        slot = max(now, self._next)
        self._next = slot + self.interval
        self.granted += 1
        return slot - now


class RemoteRateLimiter:
    """What a worker's pool waits on in place of its own limiter."""

    def __init__(self, actor: Any) -> None:
        self._actor = actor

    async def wait(self) -> None:
        delay = await self._actor.reserve.remote()
        if delay > 0:
            await asyncio.sleep(delay)
