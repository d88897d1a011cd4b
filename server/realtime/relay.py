"""Background loops of the realtime layer, each run as an aiojobs job.

- `run_relay`: moves committed outbox rows to the event log and publishes them; woken by
  LISTEN/NOTIFY on commit, polling as a fallback so a lost notification only costs latency.
- `run_outbox_listener`: keeps the LISTEN connection open (reconnecting when it drops).
- `run_auth_sweep`: disconnects sockets whose token expired or was revoked, with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import socketio
from aiohttp import web

from server.domain import realtime as rules
from server.jobs.wakeup import wait_for_wakeup
from server.keys import (
    CLOCK,
    DATABASE_DSN,
    MONGO_DB,
    OUTBOX_RELAYED,
    PG_POOL,
    SETTINGS,
    TOKEN_CACHE,
)
from server.realtime.hub import Hub
from server.realtime.managers import BATCH_EVENT
from server.services import realtime_access as access
from server.services.admin_auth import revoked_admins
from server.services.relay import BUSY, relay_batch
from server.stores import outbox_relay

log = logging.getLogger("classconnect.realtime")

BATCH_LIMIT = 200  # envelopes per emit at most (Redis messages stay small)


def publisher(sio: socketio.AsyncServer, *, queue_limit: int):
    # One Socket.IO emit per room and batch: every socket gets the batch's frames in one write,
    # so under load the cost per event falls instead of the backlog growing. Batches stay well
    # under the socket queue bound, and we yield between them so that sockets (and Engine.IO's
    # writers) drain a big burst as it goes and it never looks like a slow consumer.
    limit = max(1, min(BATCH_LIMIT, queue_limit // 4))

    async def publish(envelopes: list[dict[str, Any]]) -> None:
        for (namespace, room), batch in rules.batches_by_room(envelopes, limit=limit):
            await sio.emit(BATCH_EVENT, {"envelopes": batch}, room=room, namespace=namespace)
            await asyncio.sleep(0)

    return publish


async def run_relay(app: web.Application, sio: socketio.AsyncServer, wake: asyncio.Event) -> None:
    settings = app[SETTINGS]
    publish = publisher(sio, queue_limit=settings.realtime_socket_queue_limit)
    while True:
        wake.clear()  # a NOTIFY that arrives while we relay sets it again
        try:
            count = await relay_batch(
                pool=app[PG_POOL],
                db=app[MONGO_DB],
                clock=app[CLOCK],
                limit=settings.realtime_relay_batch,
                publish=publish,
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("relay batch failed; retrying")
            count = 0
            await asyncio.sleep(settings.realtime_relay_poll_seconds)
        if count > 0:
            app[OUTBOX_RELAYED].notify()  # this process's durable consumers read it now
        if count >= settings.realtime_relay_batch:
            continue  # more rows are waiting
        timeout = settings.realtime_relay_poll_seconds
        if count == BUSY:  # another process is relaying; it will drain the table
            timeout = min(timeout, 0.2)
        await wait_for_wakeup(wake, timeout)


async def run_outbox_listener(app: web.Application, wake: asyncio.Event) -> None:
    while True:
        conn = None
        try:
            conn = await outbox_relay.listen(app[DATABASE_DSN], wake.set)
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
            wake.set()  # anything committed while we were not listening
            await lost.wait()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("outbox LISTEN connection lost; polling meanwhile", exc_info=True)
        finally:
            if conn is not None and not conn.is_closed():
                await conn.close()
        await asyncio.sleep(1.0)


async def run_auth_sweep(app: web.Application, hub: Hub) -> None:
    # A blocked user or a password reset is announced by NOTIFY (through the token-state
    # cache's listener): sweep at once then. The timer still catches expiries, and changes
    # missed while that listener was reconnecting.
    changed = asyncio.Event()
    if (cache := app.get(TOKEN_CACHE)) is not None:
        cache.on_change.append(lambda _user_id: changed.set())
    while True:
        await wait_for_wakeup(changed, app[SETTINGS].realtime_auth_sweep_seconds)
        changed.clear()
        try:
            await sweep(app, hub)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("auth sweep failed")


async def sweep(app: web.Application, hub: Hub) -> None:
    hub.prune_user_buckets(time.monotonic())
    now = app[CLOCK].now()
    live = [s for s in hub.clients.values() if not s.closing]
    for state in live:
        if state.identity.expires_at <= now:
            await hub.end(state, "token_expired", "The access token has expired.")
    users = [s for s in live if not s.closing and s.namespace == rules.USER_NAMESPACE]
    holders = {(s.identity.user_id, s.identity.token_version) for s in users}
    revoked = await access.revoked_users(pool=app[PG_POOL], holders=holders)
    for state in users:
        reason = revoked.get((state.identity.user_id, state.identity.token_version))
        if reason is not None:
            await hub.end(state, reason, "The session was revoked.")
    admins = [s for s in live if not s.closing and s.namespace == rules.ADMIN_NAMESPACE]
    gone = await revoked_admins(
        db=app[MONGO_DB], holders={(s.identity.user_id, s.identity.token_version) for s in admins}
    )
    for state in admins:
        reason = gone.get((state.identity.user_id, state.identity.token_version))
        if reason is not None:
            await hub.end(state, reason, rules.ADMIN_SESSION_ENDED[reason])
