"""A per-process cache of what decides whether an access token still counts.

Every authenticated request used to read `(status, token_version)` from Postgres: one extra
round trip per request. A trigger now NOTIFYs `user_token_state` with the user id when either
changes (at commit), and `server.jobs.token_cache_listener` invalidates the entry here, so a
blocked user or a password reset still takes effect within milliseconds in every process.

The cache is used only while that listener is connected (`live`): when it drops, every request
reads Postgres again until it reconnects and starts from an empty cache. A generation counter,
bumped by every invalidation, stops a read that raced an invalidation from storing what it read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

TokenState = tuple[str, int]  # (status, token_version)


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


class TokenStateCache:
    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self.live = False
        self.stats = CacheStats()
        self._entries: dict[uuid.UUID, TokenState] = {}
        self._generation = 0
        # Told the user id of every announced change (e.g. realtime drops that user's sockets).
        self.on_change: list[Callable[[uuid.UUID], None]] = []

    def get(self, user_id: uuid.UUID) -> TokenState | None:
        state = self._entries.get(user_id) if self.live else None
        if state is None:
            self.stats.misses += 1
        else:
            self.stats.hits += 1
        return state

    @property
    def generation(self) -> int:
        """Read before querying Postgres; hand it back to `store`."""
        return self._generation

    def store(self, user_id: uuid.UUID, state: TokenState, generation: int) -> None:
        if not self.live or generation != self._generation:
            return  # something changed while we read: the next request reads again
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # crude but bounded; a refill costs one query per user
        self._entries[user_id] = state

    def invalidate(self, user_id: uuid.UUID) -> None:
        self._generation += 1
        self._entries.pop(user_id, None)
        for callback in self.on_change:
            callback(user_id)

    def reset(self, *, live: bool) -> None:
        """Forget everything; `live` says whether invalidations are being received."""
        self._generation += 1
        self._entries.clear()
        self.live = live
