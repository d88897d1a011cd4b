"""Inbox fan-out: one `rule.published` to N users through the real notifications consumer,
against a bare `insert_many` of the inbox items it wrote.

The measured path is one `consume_batch` of the notifications consumer, from taking its offset to
its commit: the rule's audience (Postgres), their contacts and preferences (a tenth of them have
stored preferences), the unread counters, the inbox items and the live events recorded. Its
floor, in the same round: the inbox items it wrote, inserted bare (`insert_many`, unordered)
into a fresh collection with the inbox's indexes, in the same Mongo. Then, reported beside it,
the deliveries consumer's batch for the same event (the 10,000 email deliveries queued), which
runs on its own offset. Each round starts from empty inbox and delivery collections. CPU is this
process's, the Mongo process's and this database's Postgres backends', per recipient.

    python -m bench.notification_inbox [--users 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psutil
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bench.http_load import postgres_cpu_seconds
from bench.notifications import summary
from bench.support import migrated_database, start_mongo
from server.domain.clock import ManualClock
from server.domain.events import ADMIN_AUDIT_STREAM, GLOBAL_STREAM, DomainEvent
from server.domain.notification_preferences import NotificationPreferences
from server.pg_pool import Pool, open_pool
from server.services.consumers import consume_batch, ensure_offset
from server.services.notification_consumer import deliveries_consumer, notifications_consumer
from server.services.relay import relay_batch
from server.stores import deliveries, notification_inbox, outbox
from server.stores.mongo_indexes import ensure_indexes
from server.stores.notification_preferences import PREFERENCES

ALL = {"applies_to": "all"}


class Cpu:
    def __init__(self, mongo_pid: int, database: str) -> None:
        self.mongo, self.database = psutil.Process(mongo_pid), database

    def now(self) -> float:
        return (
            time.process_time()
            + sum(self.mongo.cpu_times()[:2])
            + postgres_cpu_seconds(self.database)
        )


async def seed(pool: Pool, db: AsyncDatabase, n: int, now: datetime) -> None:
    ids = [uuid.uuid4() for _ in range(n)]
    async with pool.acquire() as conn:
        await conn.executemany(
            "INSERT INTO users (id, email, name, email_verified, status, created_at, updated_at) "
            "VALUES ($1, $2, 'U', true, 'active', $3, $3)",
            [(u, f"{u.hex}@example.test", now) for u in ids],
        )
    prefs = NotificationPreferences.model_validate({"locale": "en"}).model_dump(mode="json")
    await db[PREFERENCES].insert_many([{"_id": str(u), **prefs} for u in ids[::10]])


async def fresh_inbox(db: AsyncDatabase) -> None:
    await db.drop_collection(notification_inbox.INBOX)
    await db.drop_collection(deliveries.DELIVERIES)
    await ensure_indexes(db)


async def one_round(pool: Pool, db: AsyncDatabase, clock: ManualClock, cpu: Cpu, n: int) -> dict:
    await fresh_inbox(db)
    consumer, queue = notifications_consumer(db), deliveries_consumer(db)
    rule = DomainEvent(
        type="rule.published",
        streams=(GLOBAL_STREAM, ADMIN_AUDIT_STREAM),
        data={"rule_id": uuid.uuid4().hex, "version": 1, "title": "Asistencia"} | ALL,
        occurred_at=clock.now(),
    )
    async with pool.acquire() as conn, conn.transaction():
        await outbox.append(conn, [rule])

    async def publish(envelopes: list) -> None:
        pass

    while await relay_batch(pool=pool, db=db, clock=clock, limit=500, publish=publish):
        pass
    c0, started = cpu.now(), time.perf_counter()
    handled = await consume_batch(pool=pool, clock=clock, consumer=consumer)
    took, cost = time.perf_counter() - started, cpu.now() - c0
    assert handled == 1, handled
    c0, started = cpu.now(), time.perf_counter()
    assert await consume_batch(pool=pool, clock=clock, consumer=queue) == 1
    queued, queue_cost = time.perf_counter() - started, cpu.now() - c0
    assert await db[deliveries.DELIVERIES].count_documents({}) == n
    items = await db[notification_inbox.INBOX].find({}).to_list(None)
    assert len(items) == n, len(items)
    floor_coll = db["inbox_floor"]
    await floor_coll.drop()
    for name, info in (await db[notification_inbox.INBOX].index_information()).items():
        if name != "_id_":
            await floor_coll.create_index(info["key"], name=name)
    c0, started = cpu.now(), time.perf_counter()
    await floor_coll.insert_many(items, ordered=False)
    floor, floor_cost = time.perf_counter() - started, cpu.now() - c0
    async with pool.acquire() as conn:  # the live events it recorded are not this bench's
        await conn.execute("DELETE FROM outbox WHERE relayed_at IS NULL")
    return {
        "target": took,
        "floor": floor,
        "ratio": took / floor,
        "cpu_ms": cost * 1000 / n,
        "floor_cpu_ms": floor_cost * 1000 / n,
        "queued": queued,
        "queued_ratio": queued / floor,
        "queue_cpu_ms": queue_cost * 1000 / n,
    }


async def main(args: argparse.Namespace) -> None:
    clock = ManualClock(datetime.now(UTC))
    with tempfile.TemporaryDirectory() as tmp:
        mongo_proc, uri = start_mongo(Path(tmp), ttl_sweep_seconds=0)
        client: AsyncMongoClient = AsyncMongoClient(uri, tz_aware=True)
        try:
            async with migrated_database() as dsn:
                pool = await open_pool(dsn, min_size=2, max_size=4)
                db = client["bench_inbox"]
                await ensure_indexes(db)
                await seed(pool, db, args.users, clock.now())
                for consumer in (notifications_consumer(db), deliveries_consumer(db)):
                    await ensure_offset(pool=pool, clock=clock, consumer=consumer)
                cpu = Cpu(mongo_proc.pid, dsn.rsplit("/", 1)[-1])
                rounds = []
                for r in range(args.rounds):
                    rounds.append(got := await one_round(pool, db, clock, cpu, args.users))
                    print(f"round {r + 1}: {got['target']:.2f} s vs {got['floor']:.2f} s "
                          f"= {got['ratio']:.2f}x", flush=True)  # fmt: skip
                await pool.close()
        finally:
            await client.close()
            mongo_proc.terminate()
            mongo_proc.wait()
    print(f"\none rule.published to {args.users} users, {args.rounds} rounds, median (spread); "
          f"load average {psutil.getloadavg()}")  # fmt: skip
    print(f"consumer batch {summary(rounds, 'target', ' s')} vs bare insert_many "
          f"{summary(rounds, 'floor', ' s')}: ratio {summary(rounds, 'ratio', 'x')}")  # fmt: skip
    print(f"CPU per recipient {summary(rounds, 'cpu_ms', ' ms')} vs floor "
          f"{summary(rounds, 'floor_cpu_ms', ' ms')}")  # fmt: skip
    print(f"then the deliveries consumer's batch {summary(rounds, 'queued', ' s')}: "
          f"{summary(rounds, 'queued_ratio', 'x')} the floor, CPU per recipient "
          f"{summary(rounds, 'queue_cpu_ms', ' ms')}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args()))
