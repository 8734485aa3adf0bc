"""Which worker answers a request: rendezvous (highest-random-weight) hashing of its content key.

A unit of requests goes to the live worker with the highest hash of (content key, worker
name). Content, not position, decides the shard, so a run's shards do not depend on the
order samples are solved in; when a worker dies only its own shard moves (to the runners-up),
and a resumed run with any worker count reads the same cache, which is keyed by content.
Hand-written: it is five lines, and no library offers it over an arbitrary live set.
"""

from __future__ import annotations

import hashlib
from typing import Sequence


def _weight(key: str, worker: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{key}|{worker}".encode(), digest_size=8).digest(), "big")


def shard_of(key: str, workers: Sequence[str]) -> str:
    """The worker (by name) that owns `key` among `workers` (non-empty)."""
    if not workers:
        raise ValueError("no live worker to shard over")
    return max(workers, key=lambda w: _weight(key, w))
