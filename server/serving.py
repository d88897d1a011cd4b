"""`classconnect serve` in one process: bind the port first, so links follow the port actually
bound (PORT=0 picks one), then build the app and run it on that socket."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from pathlib import Path

from aiohttp import web

from server.settings import EventLoop, Settings

log = logging.getLogger("classconnect")


def bind(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    """A bound TCP socket, not yet listening: nothing connects before the app has started
    (migrations, indexes), exactly as when aiohttp binds it itself."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:  # every worker of `serve --workers N` binds the same port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def serve(settings: Settings, *, reuse_port: bool = False, ready_file: Path | None = None) -> int:
    """Serve until SIGTERM/SIGINT. `ready_file` is written once serving (the supervisor of
    `serve --workers N` tells a worker that failed to start from one that died later)."""
    if settings.dd_agent_host:  # patch the libraries before the app imports and uses them
        from server.tracing import enable_tracing

        enable_tracing(settings)
    from server.app import create_app
    from server.heap import freeze_after_startup

    settings.resolve_jwt_secret()  # fail fast (production without a secret) before binding
    sock = bind(settings.host, settings.port, reuse_port=reuse_port)
    settings.listening_on(sock.getsockname()[1])
    app = create_app(settings)
    if settings.dd_agent_host:
        from server.tracing import trace_app

        trace_app(app)

    async def announce(app: web.Application) -> None:  # runs after every cleanup context
        from server import __version__

        log.info(
            "ClassConnect %s serving on http://%s:%s (%s); links to %s; data under %s",
            __version__,
            settings.host,
            settings.port,
            settings.environment.value,
            settings.public_base_url,
            settings.data_dir.resolve(),
        )

    async def mark_ready(app: web.Application) -> None:
        if ready_file is not None:
            await asyncio.to_thread(ready_file.write_text, str(os.getpid()))

    app.on_startup.append(announce)
    app.on_startup.append(freeze_after_startup)
    app.on_startup.append(mark_ready)
    web.run_app(
        app,
        loop=new_event_loop(settings),
        sock=sock,
        backlog=settings.listen_backlog,
        access_log=None,  # request_log_middleware writes the one line per request
        shutdown_timeout=settings.shutdown_timeout_seconds,
        print=None,
        handler_cancellation=True,
    )
    return 0


def new_event_loop(settings: Settings) -> asyncio.AbstractEventLoop:
    if settings.event_loop is EventLoop.uvloop:
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()
