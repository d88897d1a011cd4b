"""`classconnect serve | migrate | healthcheck | datadog-sync | create-admin`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import urllib.error
import urllib.request
from pathlib import Path

from server import admin_cli
from server.settings import Settings, SettingsError

log = logging.getLogger("classconnect")


def _serve(settings: Settings, *, workers: int, reuse_port: bool, ready: Path | None) -> int:
    from server.workers import check_workers, die_with_parent, serve_workers

    check_workers(settings, workers)
    if workers > 1:
        return serve_workers(settings, workers)
    from server.serving import serve

    if reuse_port:
        die_with_parent()
    return serve(settings, reuse_port=reuse_port, ready_file=ready)


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


def _datadog_sync(settings: Settings, *, dry_run: bool) -> int:
    from pymongo import AsyncMongoClient

    from server import embedded
    from server.services.datadog_sync import datadog_api_from, sync_datadog

    api = datadog_api_from(settings)
    if api is None:
        raise SettingsError("datadog-sync needs DD_API_KEY and DD_APP_KEY")
    server, uri = None, settings.mongodb_url  # the admins' emails are in Mongo
    if uri is None:
        server, uri = embedded.start_mongo(settings.data_dir, settings.embedded_mongo_port)

    async def run() -> list:
        client: AsyncMongoClient = AsyncMongoClient(uri, tz_aware=True)
        try:
            return await sync_datadog(
                db=client[settings.mongodb_database],
                api=api,
                config_dir=settings.datadog_config_dir,
                extra_targets=settings.datadog_notify_extra,
                dry_run=dry_run,
            )
        finally:
            await client.close()

    try:
        actions = asyncio.run(run())
    finally:
        if server is not None:
            embedded.stop_mongo(server)
    for action in actions:
        print(action.describe())
    changes = sum(a.change.value != "unchanged" for a in actions)
    verb = "would change" if dry_run else "changed"
    print(f"{verb} {changes} of {len(actions)} monitors and dashboards")
    return 0


def _healthcheck(settings: Settings) -> int:
    """Exit 0 when this machine's server answers /healthz (the image's HEALTHCHECK)."""
    host = "127.0.0.1" if settings.host in ("", "0.0.0.0", "::") else settings.host
    host = f"[{host}]" if ":" in host else host
    try:
        with urllib.request.urlopen(f"http://{host}:{settings.port}/healthz", timeout=2) as resp:
            return 0 if resp.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"classconnect: /healthz did not answer: {exc}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="classconnect", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve REST and Socket.IO (embedded stores when no URLs)")
    serve.add_argument(
        "--workers", type=int, default=1, help="processes on one port (more than 1 needs REDIS_URL)"
    )
    # How `serve --workers N` starts each worker:
    serve.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    serve.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)
    sub.add_parser("migrate", help="apply pending Postgres migrations and exit")
    sub.add_parser("healthcheck", help="exit 0 when the server on HOST:PORT answers /healthz")
    sync = sub.add_parser("datadog-sync", help="create or update the monitors and dashboards "
                          "under config/datadog/ (needs DD_API_KEY and DD_APP_KEY)")  # fmt: skip
    sync.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    admin_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    from server.logs import configure_logging

    try:
        settings = Settings()
    except Exception as exc:  # pydantic's message names the bad variable
        print(f"classconnect: invalid configuration: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        if args.command == "serve":
            return _serve(
                settings, workers=args.workers, reuse_port=args.reuse_port, ready=args.ready_file
            )
        if args.command == "healthcheck":
            return _healthcheck(settings)
        if args.command == "datadog-sync":
            return _datadog_sync(settings, dry_run=args.dry_run)
        if args.command == "create-admin":
            return admin_cli.create_admin(settings, args)
        return _migrate(settings)
    except SettingsError as exc:
        print(f"classconnect: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
