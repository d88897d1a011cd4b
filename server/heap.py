"""Keep the cyclic garbage collector out of the event loop's way.

A full (generation 2) collection walks every tracked object. After start-up that is mostly
objects that live as long as the process (modules, pydantic schemas, routes, the OpenAPI
document), and walking them took 70-100 ms, every 2-3 s under load: a stop of the event loop
that every request in flight waits out (see bench/catalog). Freezing them once start-up is done
leaves collections only the objects created since.

Connections are long-lived objects too, and many at once: with CPython's default thresholds
(700, 10, 10) every 25% of growth of the live heap set off another full collection, so a
reconnect storm after a busy hour spent 0.4 s of its 2 s in three or four of them (100-150 ms
stops each), and 5,000 sockets arriving spent 1.3 s. A young generation of 20,000 objects makes
full collections rare (their check runs every 8 million allocations instead of every 70,000);
young collections stay a few milliseconds. Garbage with cycles (a closed socket's objects) waits
longer for its collection: memory, not latency, pays for it.
"""

from __future__ import annotations

import gc

from aiohttp import web

GC_THRESHOLDS = (20_000, 20, 20)  # generation 0, 1, 2; CPython's default is (700, 10, 10)


def freeze_startup_heap() -> int:
    """Collect what start-up left behind, then exempt the survivors; returns how many."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


async def freeze_after_startup(app: web.Application) -> None:
    """An `on_startup` hook (it runs after every cleanup context has opened its resource): the
    start-up heap frozen, and the thresholds above."""
    freeze_startup_heap()
    gc.set_threshold(*GC_THRESHOLDS)
