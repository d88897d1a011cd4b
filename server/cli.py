"""`classconnect serve | migrate | create-admin`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from aiohttp import web

from server import admin_cli
from server.settings import EventLoop, Settings, SettingsError

log = logging.getLogger("classconnect")


def _serve(settings: Settings) -> int:
    if settings.dd_agent_host:  # patch the libraries before the app imports and uses them
        from server.tracing import enable_tracing

        enable_tracing(settings)
    from server.app import create_app
    from server.heap import freeze_after_startup

    settings.resolve_jwt_secret()  # fail fast (production without a secret) before binding
    app = create_app(settings)
    if settings.dd_agent_host:
        from server.tracing import trace_app

        trace_app(app)

    async def announce(app: web.Application) -> None:  # runs after every cleanup context
        log.info(
            "ClassConnect %s serving on http://%s:%s (%s); data under %s",
            _version(),
            settings.host,
            settings.port,
            settings.environment.value,
            settings.data_dir.resolve(),
        )

    app.on_startup.append(announce)
    app.on_startup.append(freeze_after_startup)
    web.run_app(
        app,
        loop=_new_event_loop(settings),
        host=settings.host,
        port=settings.port,
        backlog=settings.listen_backlog,
        access_log=None,  # request_log_middleware writes the one line per request
        shutdown_timeout=settings.shutdown_timeout_seconds,
        print=None,
        handler_cancellation=True,
    )
    return 0


def _new_event_loop(settings: Settings) -> asyncio.AbstractEventLoop:
    if settings.event_loop is EventLoop.uvloop:
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def _migrate(settings: Settings) -> int:
    import asyncpg

    from server import embedded
    from server.stores.migrations import apply_migrations

    server = None
    dsn = settings.database_url
    if dsn is None:
        server, dsn = embedded.start_postgres(settings.data_dir)
        log.info("embedded Postgres started under %s", settings.data_dir.resolve())

    async def run() -> list[str]:
        conn = await asyncpg.connect(dsn)
        try:
            return await apply_migrations(conn)
        finally:
            await conn.close()

    try:
        applied = asyncio.run(run())
    finally:
        if server is not None:
            embedded.stop_postgres(server)
    print(f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else ""))
    return 0


def _version() -> str:
    from server import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="classconnect", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve REST and Socket.IO (embedded stores when no URLs)")
    sub.add_parser("migrate", help="apply pending Postgres migrations and exit")
    admin_cli.add_parser(sub)
    args = parser.parse_args(argv)

    from server.logs import configure_logging

    try:
        settings = Settings()
    except Exception as exc:  # pydantic's message names the bad variable
        print(f"classconnect: invalid configuration: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        if args.command == "serve":
            return _serve(settings)
        if args.command == "create-admin":
            return admin_cli.create_admin(settings, args)
        return _migrate(settings)
    except SettingsError as exc:
        print(f"classconnect: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
