"""Notifications at scale: one rule to 10,000 users (inbox writes, email), and event -> live.

Mongo is SecantusDB in a process of its own (bench/support.py); Brevo is the local stand-in
(tests/fakes/brevo.py) on loopback, driven by the real brevo-python client. Each phase runs
`--rounds` times on fresh collections; figures are medians with the spread (min-max), each
phase's time a ratio against a floor measured in the same round, plus CPU per document (this
process, and the Mongo process).

1. fan-out: `--target` writes one document per user (default `deliveries`: the delivery
   side's `deliveries.enqueue` of 10,000 email deliveries). Its floor: a bare `insert_many` of
   the very documents the target wrote, into a fresh collection with the same indexes, in the
   same Mongo. Point `--target module:function` at the inbox writer to measure it the same way:
   `async def fanout(db, user_ids: list[uuid.UUID], now: datetime) -> str` writes one
   notification per user and returns the collection it wrote to.
2. email: the delivery worker sends those 10,000 emails through Brevo: number of calls (goal
   <= 10) and time, against the floor of the same 10,000 emails sent as 1,000-version batches
   straight through the transport (no queue, no claims, no log).
3. live: event -> live `notification.created` p99 through a real `classconnect serve`, against
   the spine's and the realtime bench's paced floors measured in the same run, with server CPU
   per notification (bench/notifications_live.py says how).

    python -m bench.notifications [--phases fanout,email,live] [--users 10000] [--rounds 3]
        [--target module:function] [--students 200 --publishes 12 --rate 0.2 --runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiojobs
import psutil
from aiohttp.test_utils import TestServer
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bench import notifications_live
from bench.support import start_mongo
from server.domain.clock import ManualClock
from server.domain.deliveries import NewDelivery, delivery_id
from server.jobs.delivery_senders import Retry, Senders
from server.jobs.delivery_worker import DeliveryWorker
from server.jobs.mail_transports import BrevoTransport, EmailVersion
from server.jobs.push_transports import PushOutboxFileTransport
from server.stores import deliveries
from server.stores.mongo_indexes import ensure_indexes
from tests.fakes.brevo import FakeBrevo, build_app

Fanout = Callable[[AsyncDatabase, list[uuid.UUID], datetime], Awaitable[str]]


async def enqueue_deliveries(db: AsyncDatabase, user_ids: list[uuid.UUID], now: datetime) -> str:
    """The delivery side's fan-out: one email delivery per user for one rule."""
    event = uuid.uuid4().hex
    await deliveries.enqueue(
        db,
        [
            NewDelivery(
                id=delivery_id(event, u, "email"),
                event_id=event,
                notification_id=uuid.uuid4().hex,
                user_id=u,
                channel="email",
                type="rule.published",
                critical=False,
                mode="immediate",
                locale="es",
                title="Nueva regla: asistencia",
                body="Desde el lunes la asistencia es obligatoria en todas las clases.",
                data={"rule_id": event},
                course_id=None,
                created_at=now,
                email=f"{u.hex}@example.test",
            )
            for u in user_ids
        ],
    )
    return deliveries.DELIVERIES


def target_from(spec: str) -> Fanout:
    if spec == "deliveries":
        return enqueue_deliveries
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


class Cpu:
    """CPU seconds of this process and of the Mongo process since `start()`."""

    def __init__(self, mongo_pid: int) -> None:
        self.mongo = psutil.Process(mongo_pid)

    def start(self) -> None:
        self.t0 = time.process_time()
        self.m0 = sum(self.mongo.cpu_times()[:2])

    def stop(self) -> tuple[float, float]:
        return time.process_time() - self.t0, sum(self.mongo.cpu_times()[:2]) - self.m0


async def fanout_round(db: AsyncDatabase, target: Fanout, n: int, cpu: Cpu) -> dict[str, float]:
    user_ids = [uuid.uuid4() for _ in range(n)]
    now = datetime.now(UTC)
    cpu.start()
    started = time.perf_counter()
    collection = await target(db, user_ids, now)
    took = time.perf_counter() - started
    own, mongo = cpu.stop()
    docs = [d async for d in db[collection].find({})]
    floor_coll = db[f"{collection}_floor"]
    for name, info in (await db[collection].index_information()).items():
        if name != "_id_":
            await floor_coll.create_index(info["key"], name=name)
    cpu.start()
    started = time.perf_counter()
    await floor_coll.insert_many(docs, ordered=False)
    floor = time.perf_counter() - started
    f_own, f_mongo = cpu.stop()
    await floor_coll.drop()
    return {
        "target": took,
        "floor": floor,
        "ratio": took / floor,
        "cpu_ms": (own + mongo) * 1000 / n,
        "floor_cpu_ms": (f_own + f_mongo) * 1000 / n,
        "docs": len(docs),
    }


async def email_round(db: AsyncDatabase, n: int, cpu: Cpu) -> dict[str, float]:
    """The worker sends the `n` queued emails; then the same emails straight through."""
    brevo = FakeBrevo()
    server = TestServer(build_app(brevo), host="127.0.0.1")
    await server.start_server()
    brevo.url = str(server.make_url("/v3"))
    transport = BrevoTransport(
        api_key=brevo.api_key,
        base_url=brevo.url,
        sender_address="no-reply@example.test",
        sender_name="Bench",
    )
    scheduler = aiojobs.Scheduler()
    clock = ManualClock(datetime.now(UTC) + timedelta(seconds=1))
    senders = Senders(
        db=db,
        pool=None,
        clock=clock,
        mail=transport,  # type: ignore[arg-type]
        push=PushOutboxFileTransport(Path(tempfile.mkdtemp())),
        retry=Retry(timedelta(seconds=30), timedelta(hours=1), rand=lambda: 0.5),
        worker="bench",
        send_timeout=120,
        token_ttl=timedelta(days=270),
    )
    worker = DeliveryWorker(
        senders=senders,
        scheduler=scheduler,
        poll_seconds=0.05,
        claim_limit=2000,
        concurrency=16,
        lease=timedelta(minutes=10),
        grace=timedelta(0),
        presence_window=timedelta(seconds=60),
    )
    cpu.start()
    started = time.perf_counter()
    while senders.sent < n:
        if not await worker.run_once() and senders.sent < n:
            raise RuntimeError(f"stalled at {senders.sent} of {n}")
    took = time.perf_counter() - started
    own, mongo = cpu.stop()
    calls = brevo.requests
    versions = [
        EmailVersion(d["to"], d["subject"], d["textContent"], d["htmlContent"])
        for d in brevo.delivered
    ]
    cpu.start()
    started = time.perf_counter()
    for i in range(0, len(versions), 1000):
        await transport.send_batch(versions[i : i + 1000], key=str(uuid.uuid4()), tag="floor")
    floor = time.perf_counter() - started
    f_own, _ = cpu.stop()
    await scheduler.close()
    await transport.close()
    await server.close()
    return {
        "target": took,
        "floor": floor,
        "ratio": took / floor,
        "calls": calls,
        "cpu_ms": (own + mongo) * 1000 / n,
        "floor_cpu_ms": f_own * 1000 / n,
    }


def summary(rounds: list[dict[str, float]], key: str, unit: str = "", scale: float = 1) -> str:
    values = [r[key] * scale for r in rounds]
    return (
        f"{statistics.median(values):.2f}{unit} (spread {min(values):.2f}-{max(values):.2f}{unit})"
    )


async def main(args: argparse.Namespace) -> None:
    phases = set(args.phases.split(","))
    if unknown := phases - {"fanout", "email", "live"}:
        raise SystemExit(f"unknown phases: {', '.join(sorted(unknown))}")
    if phases & {"fanout", "email"}:
        await fanout_and_email(args, email="email" in phases)
    if "live" in phases:
        await notifications_live.main(args)


async def fanout_and_email(args: argparse.Namespace, *, email: bool) -> None:
    target = target_from(args.target)
    with tempfile.TemporaryDirectory() as tmp:
        mongo_proc, uri = start_mongo(Path(tmp))
        client: AsyncMongoClient = AsyncMongoClient(uri, tz_aware=True)
        cpu = Cpu(mongo_proc.pid)
        fanouts, emails = [], []
        try:
            for r in range(args.rounds):
                db = client[f"bench_{r}"]
                await ensure_indexes(db)
                fanouts.append(await fanout_round(db, target, args.users, cpu))
                if email and args.target == "deliveries":
                    emails.append(await email_round(db, args.users, cpu))
                await client.drop_database(f"bench_{r}")
                line = f"round {r + 1}: fan-out {fanouts[-1]['ratio']:.2f}x"
                if emails:
                    line += f", email {emails[-1]['ratio']:.2f}x, {emails[-1]['calls']} calls"
                print(line, flush=True)
        finally:
            await client.close()
            mongo_proc.terminate()
            mongo_proc.wait()
    print(f"\n{args.users} users, {args.rounds} rounds, target {args.target}")
    report("fan-out", "insert_many", fanouts)
    if emails:
        print(f"email: {summary(emails, 'calls')} Brevo calls for {args.users} emails")
        report("email", "direct batches", emails)


def report(name: str, floor: str, rounds: list[dict[str, float]]) -> None:
    print(f"{name}: {summary(rounds, 'target', ' s')} vs {floor} {summary(rounds, 'floor', ' s')}")
    print(f"  ratio {summary(rounds, 'ratio', 'x')}")
    print(
        f"  CPU per item {summary(rounds, 'cpu_ms', ' ms')} "
        f"vs floor {summary(rounds, 'floor_cpu_ms', ' ms')}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--target", default="deliveries")
    parser.add_argument("--phases", default="fanout,email,live")
    notifications_live.add_arguments(parser)
    asyncio.run(main(parser.parse_args()))
