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
        cors_allowed_origins="*",  # the mobile app is not a browser origin; tokens gate access
        ping_interval=settings.realtime_ping_interval_seconds,
        ping_timeout=20,
        max_http_buffer_size=64 * 1024,
    )
    hub = Hub(app, sio, queue_limit=settings.realtime_socket_queue_limit)
    manager.hub = hub
    sio.register_namespace(UserNamespace("/", app, hub))
    sio.register_namespace(AdminNamespace("/admin", app, hub))
    app[SOCKETIO] = sio
    app[REALTIME_HUB] = hub

    async def endpoint(request: web.Request) -> web.StreamResponse:
        # Remember each websocket's TCP transport so a client that stopped reading can be cut.
        if request.query.get("transport") == "websocket" and (sid := request.query.get("sid")):
            hub.transports[sid] = request.transport  # type: ignore[assignment]
        return await sio.handle_request(request)

    app.router.add_get(PATH, endpoint)
    app.router.add_post(PATH, endpoint)
    app.router.add_route("OPTIONS", PATH, endpoint)
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
    jobs = [await scheduler.spawn(run_auth_sweep(app, hub))]
    if isinstance(manager, RedisFanoutManager):
        manager.on_resubscribed = hub.replay.repair_all
        jobs.append(await scheduler.spawn(manager.run_listener()))
    if settings.realtime_relay_enabled:
        jobs.append(await scheduler.spawn(run_outbox_listener(app, wake)))
        jobs.append(await scheduler.spawn(run_relay(app, sio, wake)))
    yield
    for job in reversed(jobs):
        await job.close()
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
