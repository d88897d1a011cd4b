"""Socket.IO client managers: relayed envelopes take ClassConnect's fan-out path, everything else
python-socketio's own; with REDIS_URL every process receives every envelope through Redis.

The relay emits batches of envelopes under the internal event name `BATCH_EVENT`, one room per
batch. Stock room emits create one task per recipient and encode per socket; `Hub.fan_out`
encodes each envelope once, applies the seq gate, and writes a socket's share of the batch at
once without waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from server.domain import realtime as rules
from server.realtime.hub import Hub
from server.realtime.room_index import IndexedRoomsMixin

log = logging.getLogger("classconnect.realtime")


BATCH_EVENT = "cc.envelopes"  # never reaches a client: the hub unpacks it


def is_envelope_batch(event: str, data: Any, namespace: str | None, room: Any) -> bool:
    if event != BATCH_EVENT or not isinstance(data, dict):
        return False
    envelopes = data.get("envelopes")
    return isinstance(envelopes, list) and all(
        isinstance(e, dict)
        and isinstance(e.get("stream"), str)
        and isinstance(e.get("seq"), int)
        and rules.route(e["stream"]) == (namespace or "/", room)
        for e in envelopes
    )


class FanoutManager(IndexedRoomsMixin, socketio.AsyncManager):
    hub: Hub | None = None

    async def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None,
                   to=None, **kwargs):  # fmt: skip
        room = to or room
        if event == BATCH_EVENT:
            if self.hub is not None and is_envelope_batch(event, data, namespace, room):
                sids = list(self.rooms.get(namespace or "/", {}).get(room, {}))
                await self.hub.fan_out(data["envelopes"], namespace or "/", sids)
            else:
                log.error("malformed envelope batch dropped", extra={"room": room})
            return
        await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                           callback=callback, **kwargs)  # fmt: skip


class RedisFanoutManager(socketio.AsyncRedisManager, FanoutManager):
    """AsyncRedisManager whose listener runs as an aiojobs job and reports its health.

    redis-py silently reconnects a pub/sub connection that was cut, losing what was published
    meanwhile (python-socketio #1581 is the same blindness). Here the client never retries on
    its own: the listener sees the failure, marks itself down (/readyz answers 503), reconnects
    with backoff, and then asks every local socket to read the log for what it may have missed.
    """

    def __init__(self, url: str, *, channel: str, client_name: str) -> None:
        super().__init__(
            url,
            channel=channel,
            redis_options={"retry": Retry(NoBackoff(), 0), "client_name": client_name},
        )
        self.listening = False
        self.on_resubscribed: Callable[[], Awaitable[None]] | None = None
        self.retry_first_seconds = 0.5

    def initialize(self) -> None:
        # Skip AsyncPubSubManager.initialize: it starts the listener as a bare task.
        socketio.AsyncManager.initialize(self)

    async def run_listener(self) -> None:
        await self._thread()

    async def _redis_listen_with_retries(self):
        retry_sleep = self.retry_first_seconds
        failed = False
        while True:
            try:
                if self.redis is None:
                    self._redis_connect()
                else:  # the publisher already reopened the client; add a pub/sub connection
                    self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                await self.pubsub.subscribe(self.channel)
                self.listening = True
                retry_sleep = self.retry_first_seconds
                if failed and self.on_resubscribed is not None:
                    await self.on_resubscribed()
                async for message in self.pubsub.listen():
                    yield message
                raise ConnectionError("pub/sub listen ended")
            except asyncio.CancelledError:
                self.listening = False
                raise
            except Exception as exc:
                self.listening = False
                failed = True
                await self.close()
                log.error("Redis listener down; retrying in %ss", retry_sleep,
                          extra={"error": repr(exc)})  # fmt: skip
                await asyncio.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, 10)

    async def check(self) -> None:
        """Readiness: the listener is subscribed and Redis answers."""
        if not self.listening:
            raise ConnectionError("Redis listener is not subscribed")
        if self.redis is None or not await self.redis.ping():
            raise ConnectionError("Redis does not answer")

    async def close(self) -> None:
        """Close this process's Redis connections (they are reopened on demand)."""
        pubsub, redis, self.pubsub, self.redis = self.pubsub, self.redis, None, None
        self.connected = False
        for closable in (pubsub, redis):
            if closable is not None:
                try:
                    await closable.aclose()
                except Exception:  # already broken; nothing more to release
                    log.debug("closing a broken Redis connection failed", exc_info=True)
