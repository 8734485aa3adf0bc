"""`held_out_of_gc`: freezes for the block, hands everything back after, and leaves a
caller's own freeze (or a disabled collector) alone."""

from __future__ import annotations

import gc

import pytest

from assay.engine.heap import held_out_of_gc


@pytest.fixture(autouse=True)
def _clean_gc_state():
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    yield
    gc.unfreeze()
    gc.enable()


def test_freezes_inside_and_unfreezes_after():
    def collectable(obj: object) -> bool:  # frozen objects are left out of gc.get_objects()
        return id(obj) in {id(o) for o in gc.get_objects()}

    old = [0]
    with held_out_of_gc() as hold:
        assert gc.get_freeze_count() > 0 and not collectable(old)
        made = [1]  # a new container: the collector still walks it
        assert collectable(made)
        hold()
        assert not collectable(made)
    assert gc.get_freeze_count() == 0
    assert collectable(old) and collectable(made)  # handed back


def test_unfreezes_when_the_block_raises():
    with pytest.raises(RuntimeError):
        with held_out_of_gc():
            raise RuntimeError("boom")
    assert gc.get_freeze_count() == 0


def test_leaves_a_callers_freeze_alone():
    gc.freeze()
    with held_out_of_gc() as hold:
        hold()
    assert gc.get_freeze_count() > 0  # the caller's freeze is not undone


def test_leaves_a_disabled_collector_alone():
    gc.disable()
    with held_out_of_gc() as hold:
        hold()
        assert gc.get_freeze_count() == 0
    assert not gc.isenabled()
