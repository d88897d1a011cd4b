"""The token-state cache's rules, without I/O."""

from __future__ import annotations

import uuid

from server.services.token_cache import TokenStateCache


def test_not_live_means_never_cached():
    cache, uid = TokenStateCache(), uuid.uuid4()
    cache.store(uid, ("active", 0), cache.generation)
    assert cache.get(uid) is None


def test_store_then_hit_then_invalidate():
    cache, uid = TokenStateCache(), uuid.uuid4()
    cache.reset(live=True)
    cache.store(uid, ("active", 2), cache.generation)
    assert cache.get(uid) == ("active", 2)
    cache.invalidate(uid)
    assert cache.get(uid) is None
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)


def test_a_read_that_raced_an_invalidation_is_not_stored():
    cache, uid, other = TokenStateCache(), uuid.uuid4(), uuid.uuid4()
    cache.reset(live=True)
    generation = cache.generation  # a request starts reading Postgres...
    cache.invalidate(other)  # ...a change is announced meanwhile...
    cache.store(uid, ("active", 0), generation)  # ...so what it read may be stale
    assert cache.get(uid) is None


def test_losing_the_listener_forgets_and_stops_caching():
    cache, uid = TokenStateCache(), uuid.uuid4()
    cache.reset(live=True)
    cache.store(uid, ("active", 0), cache.generation)
    cache.reset(live=False)
    assert cache.get(uid) is None
    cache.store(uid, ("active", 0), cache.generation)
    assert cache.get(uid) is None


def test_bounded():
    cache = TokenStateCache(max_entries=3)
    cache.reset(live=True)
    ids = [uuid.uuid4() for _ in range(4)]
    for uid in ids:
        cache.store(uid, ("active", 0), cache.generation)
    assert sum(cache.get(uid) is not None for uid in ids) <= 3
