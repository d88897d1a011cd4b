"""The start-up heap is frozen out of the collector's walks, after its garbage is collected."""

from __future__ import annotations

import gc
import weakref

from aiohttp import web

from server.heap import GC_THRESHOLDS, freeze_after_startup, freeze_startup_heap


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector can free it


def test_survivors_are_frozen_and_garbage_is_not():
    kept, dropped = Node(), Node()
    dropped_ref = weakref.ref(dropped)
    del dropped
    try:
        assert freeze_startup_heap() > 0
        assert dropped_ref() is None  # collected first, not made immortal
        assert all(o is not kept for o in gc.get_objects())  # out of every generation's walk
    finally:
        gc.unfreeze()
    assert any(o is kept for o in gc.get_objects())


async def test_the_startup_hook_freezes_and_sets_the_thresholds():
    before = gc.get_threshold()
    try:
        await freeze_after_startup(web.Application())
        assert gc.get_threshold() == GC_THRESHOLDS != before
        assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
