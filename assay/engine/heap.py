"""Keep a run's long-lived data out of the cyclic garbage collector's full passes.

A task builds thousands of samples, prompts, requests and records that live until the run
ends. On Python 3.11, every full collection walks all of them again, and building and
scoring a run allocates enough to trigger several: with an instant model that was about a
fifth of the harness's own time (issue 7). `gc.freeze()` moves every tracked object to a
permanent generation that collections skip (objects are still freed by reference counting
as usual); `gc.unfreeze()` hands them back. Holding for one task at a time bounds what
can be kept: cyclic garbage present when a task freezes is collectable again when the
task ends.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Callable, Iterator


@contextmanager
def held_out_of_gc() -> Iterator[Callable[[], None]]:
    """Freeze what exists now, and yield a function that freezes what exists then; all is
    unfrozen on exit. A no-op when the caller already manages the collector (it has
    frozen objects itself, e.g. before forking, or disabled collection): unfreezing would
    undo the caller's freeze."""
    if gc.get_freeze_count() or not gc.isenabled():
        yield lambda: None
        return
    gc.freeze()
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()
