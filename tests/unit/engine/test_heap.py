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
    with held_out_of_gc() as hold:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        made = [[i] for i in range(1000)]  # new containers, not frozen yet
        hold()
        assert gc.get_freeze_count() >= frozen + 1000
    assert gc.get_freeze_count() == 0
    assert made  # still alive, now collectable again


def test_unfreezes_when_the_block_raises():
    with pytest.raises(RuntimeError):
        with held_out_of_gc():
            raise RuntimeError("boom")
    assert gc.get_freeze_count() == 0


def test_leaves_a_callers_freeze_alone():
    gc.freeze()
    before = gc.get_freeze_count()
    with held_out_of_gc() as hold:
        hold()
    assert gc.get_freeze_count() == before  # not unfrozen by us


def test_leaves_a_disabled_collector_alone():
    gc.disable()
    with held_out_of_gc() as hold:
        hold()
        assert gc.get_freeze_count() == 0
    assert not gc.isenabled()
