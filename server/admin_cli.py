"""`classconnect create-admin --email E --name N [--password-stdin]`: the first admin.

It uses the configured stores (DATABASE_URL, MONGODB_URL), or the embedded ones under DATA_DIR:
Postgres through pgserver, which attaches to a server already running on the same data; Mongo
through the endpoint file a running `serve` leaves beside its data (see server/embedded.py),
starting its own only when none runs. The account is created like any admin change: in a unit
of work with an `admin.create` audit record (actor: system).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from contextlib import AsyncExitStack, ExitStack
from typing import Any

from pydantic import ValidationError

from server.settings import Settings


def add_parser(sub: Any) -> None:
    cmd = sub.add_parser("create-admin", help="create an admin account (the first one, say)")
    cmd.add_argument("--email", required=True)
    cmd.add_argument("--name", required=True)
    cmd.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise SystemExit("classconnect: the passwords differ")
    return first


def create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from server.domain.admin import AdminCreate
    from server.domain.errors import DomainError

    password = read_password(args.password_stdin)
    try:
        data = AdminCreate(email=args.email, name=args.name, password=password)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
        print(f"classconnect: invalid {fields}", file=sys.stderr)
        return 2
    with ExitStack() as stack:
        dsn, mongo_uri = _stores(settings, stack)
        try:
            created = asyncio.run(_create(settings, dsn, mongo_uri, data))
        except DomainError as exc:
            print(f"classconnect: {exc.message} ({exc.code})", file=sys.stderr)
            return 1
    print(f"admin created: {created.id} <{created.email}>")
    return 0


def _stores(settings: Settings, stack: ExitStack) -> tuple[str, str]:
    from server import embedded

    dsn = settings.database_url
    if dsn is None:
        server, dsn = embedded.start_postgres(settings.data_dir)  # attaches when one runs
        stack.callback(embedded.stop_postgres, server)  # stops it only if we were alone
    mongo_uri = settings.mongodb_url or embedded.running_mongo(settings.data_dir)
    if mongo_uri is None:
        mongo, mongo_uri = embedded.start_mongo(settings.data_dir, settings.embedded_mongo_port)
        stack.callback(embedded.stop_mongo, mongo)
    return dsn, mongo_uri


async def _create(settings: Settings, dsn: str, mongo_uri: str, data: Any) -> Any:
    from pymongo import AsyncMongoClient

    from server.domain.clock import SystemClock
    from server.domain.context import SYSTEM, RequestContext
    from server.pg_pool import open_pool
    from server.services.admin_accounts import create_admin as create
    from server.services.passwords import Passwords
    from server.stores.migrations import apply_migrations
    from server.stores.mongo_indexes import ensure_indexes

    async with AsyncExitStack() as stack:
        pool = await open_pool(dsn, min_size=1, max_size=2)
        stack.push_async_callback(pool.close)
        async with pool.acquire() as conn:
            await apply_migrations(conn)
        client: AsyncMongoClient = AsyncMongoClient(mongo_uri, tz_aware=True)
        stack.push_async_callback(client.close)
        db = client[settings.mongodb_database]
        await ensure_indexes(db)
        passwords = Passwords(
            time_cost=settings.password_hash_time_cost,
            memory_kib=settings.password_hash_memory_kib,
            parallelism=settings.password_hash_parallelism,
        )
        context = RequestContext(SYSTEM.actor, request_id="cli:create-admin")
        return await create(
            pool=pool, clock=SystemClock(), context=context, db=db, passwords=passwords, data=data
        )
