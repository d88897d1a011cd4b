"""Wire Socket.IO into the app: the server is built in `create_app` (never at import), its
loops run in the `realtime_ctx` cleanup context through aiojobs, and SIGTERM closes sockets
gracefully (`server.shutdown`, then disconnect)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

from aiohttp import web

from server.keys import READINESS_CHECKS, REALTIME_HUB, SCHEDULER, SETTINGS, SOCKETIO
from server.realtime.admin_feed import RemovedAdminWatcher
from server.realtime.engine import AsyncServer
from server.realtime.hub import Hub
from server.realtime.managers import FanoutManager, RedisFanoutManager
from server.realtime.namespaces import AdminNamespace, UserNamespace
from server.realtime.origins import origin_check
from server.realtime.presence import PresenceTracker
from server.realtime.relay import run_auth_sweep, run_outbox_listener, run_relay
from server.realtime.rooms import MembershipWatcher

log = logging.getLogger("classconnect.realtime")

PATH = "/socket.io/"
SHUTDOWN_GRACE_SECONDS = 2.0


def setup_realtime(app: web.Application) -> None:
    settings = app[SETTINGS]
    manager: FanoutManager
    if settings.redis_url:
        manager = RedisFanoutManager(
            settings.redis_url,
            channel=settings.realtime_redis_channel,
            client_name=f"cc-{settings.realtime_redis_channel}-{uuid.uuid4().hex[:12]}",
        )
        app[READINESS_CHECKS]["redis"] = lambda app: manager.check()  # type: ignore[union-attr]
    else:
        manager = FanoutManager()
    sio = AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        # Browsers only: the configured origins and our own (the admin console); the mobile
        # app sends no Origin and is not checked.
        cors_allowed_origins=origin_check(settings.allowed_origins),
        cors_credentials=False,  # tokens travel in the auth payload; no cookie is needed
        ping_interval=settings.realtime_ping_interval_seconds,
        ping_timeout=20,
        max_http_buffer_size=64 * 1024,
        connect_timeout=settings.realtime_connect_timeout_seconds,
    )
    hub = Hub(app, sio, queue_limit=settings.realtime_socket_queue_limit)
    manager.hub = hub
    sio.register_namespace(UserNamespace("/", app, hub))
    sio.register_namespace(AdminNamespace("/admin", app, hub))
    app[SOCKETIO] = sio
    app[REALTIME_HUB] = hub

    app.router.add_get(PATH, sio.handle_request)
    app.router.add_post(PATH, sio.handle_request)
    app.router.add_route("OPTIONS", PATH, sio.handle_request)
    app.cleanup_ctx.append(realtime_ctx)
    app.on_shutdown.append(close_sockets)


async def realtime_ctx(app: web.Application) -> AsyncIterator[None]:
    sio, hub, settings = app[SOCKETIO], app[REALTIME_HUB], app[SETTINGS]
    manager = sio.manager
    manager.initialize()
    sio.manager_initialized = True
    scheduler = app[SCHEDULER]
    wake = asyncio.Event()
    hub.on_envelope.append(MembershipWatcher(app, hub))
    hub.on_envelope.append(RemovedAdminWatcher(hub))
    # Who is online, for the push grace of the notification deliveries (any process).
    tracker = PresenceTracker(
        app,
        lambda user_id: user_id in hub.by_user,
        heartbeat_seconds=settings.presence_heartbeat_seconds,
    )
    hub.on_presence.append(tracker.changed)
    jobs = [
        await scheduler.spawn(run_auth_sweep(app, hub)),
        await scheduler.spawn(sio.close_unauthenticated()),
        await scheduler.spawn(tracker.run()),
    ]
    if isinstance(manager, RedisFanoutManager):
        manager.on_resubscribed = hub.replay.repair_all
        jobs.append(await scheduler.spawn(manager.run_listener()))
    if settings.realtime_relay_enabled:
        jobs.append(await scheduler.spawn(run_outbox_listener(app, wake)))
        jobs.append(await scheduler.spawn(run_relay(app, sio, wake)))
    yield
    tracker.stop()
    for job in reversed(jobs):
        await job.close()
    await tracker.forget()
    await sio.shutdown()
    if isinstance(manager, RedisFanoutManager):
        await manager.close()


async def close_sockets(app: web.Application) -> None:
    """On SIGTERM (aiohttp has stopped accepting): tell every socket, disconnect it, and cut
    whatever is still open after a short grace so the process exits well within 30 s."""
    hub, sio = app[REALTIME_HUB], app[SOCKETIO]
    hub.shutting_down = True
    states = [s for s in hub.clients.values() if not s.closing]
    for state in states:
        hub.send(state, "server.shutdown", {"reconnect": True})
    for state in states:
        state.closing = True
        try:
            await sio.disconnect(state.sid, namespace=state.namespace, ignore_queue=True)
        except Exception:
            log.debug("disconnect at shutdown failed", exc_info=True)
    deadline = asyncio.get_running_loop().time() + SHUTDOWN_GRACE_SECONDS
    # Engine.IO offers no "all closed" signal; poll its socket table for the short grace.
    while sio.eio.sockets and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    for eio_sid in list(sio.eio.sockets):
        transport = hub.transport_of(eio_sid)
        if transport is not None:
            transport.abort()
    log.info("realtime closed", extra={"sockets": len(states)})
