"""Keeps this process's share of the `presence` collection in step with the hub's sockets.

The hub tells the tracker whenever a user's sockets here change; the tracker's loop (an aiojobs
job) writes, half a second later, only the users whose state flipped since its last pass
(a burst of connects is one write), and refreshes every document of this process each
heartbeat. On a clean stop the
process removes its documents; after a crash they go stale (server/stores/presence.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid

from aiohttp import web

from server.jobs.wakeup import wait_for_wakeup
from server.keys import CLOCK, MONGO_DB
from server.stores import presence

log = logging.getLogger("classconnect.realtime")


class PresenceTracker:
    def __init__(
        self,
        app: web.Application,
        is_online,
        *,
        heartbeat_seconds: float,
        flush_delay: float = 0.5,
    ) -> None:
        self.app = app
        self.is_online = is_online  # user id -> whether any socket of theirs is here
        self.heartbeat_seconds = heartbeat_seconds
        self.flush_delay = flush_delay
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.dirty: set[uuid.UUID] = set()
        self._wake = asyncio.Event()
        self._stopping = False

    def changed(self, user_id: uuid.UUID) -> None:
        self.dirty.add(user_id)
        self._wake.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_beat = loop.time() + self.heartbeat_seconds
        while not self._stopping:
            try:
                await self.flush()
                if loop.time() >= next_beat:
                    next_beat = loop.time() + self.heartbeat_seconds
                    await presence.heartbeat(
                        self.app[MONGO_DB], instance=self.instance, now=self.app[CLOCK].now()
                    )
            except Exception:
                log.exception("presence update failed")  # retried on the next pass
            if await wait_for_wakeup(self._wake, max(0.0, next_beat - loop.time())):
                # Let a burst of connects (a reconnect storm, a page of sockets) gather into one
                # write, away from the moment the sockets are being set up.
                await asyncio.sleep(self.flush_delay)
            self._wake.clear()

    async def flush(self) -> None:
        if not self.dirty:
            return
        users, self.dirty = self.dirty, set()
        online = [u for u in users if self.is_online(u)]
        try:
            await presence.write(
                self.app[MONGO_DB],
                instance=self.instance,
                present=online,
                gone=[u for u in users if u not in set(online)],
                now=self.app[CLOCK].now(),
            )
        except Exception:
            self.dirty |= users  # written again on the next pass
            raise

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def forget(self) -> None:
        """After the loop has stopped: this process's users are no longer online here. Best
        effort: with Mongo gone the records simply go stale, and shutdown must go on."""
        try:
            await presence.forget_instance(self.app[MONGO_DB], self.instance)
        except Exception as exc:
            log.warning("presence records left to go stale", extra={"error": repr(exc)})
