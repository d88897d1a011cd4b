"""`bench.notifications --phases live`: event -> live `notification.created`, against floors.

A real `classconnect serve` (consumers on, as deployed) with its own scratch Postgres database
and SecantusDB in a process of its own; `--students` sockets, one per student of one course,
each its own user, in `--procs` load-generator processes (bench/notification_clients.py). The
course's teacher publishes drafts through REST at `--rate` a second (open loop: each publish is
sent on schedule, whatever the previous one is doing), `--publishes` per run, `--runs` runs.

For every student and publish, from the moment the REST call is sent:
- `notification.created` on the student's own stream: the measured path (publish commits ->
  relay -> notifications consumer writes counters and the inbox and records the live events ->
  relay -> socket; the deliveries consumer queues the pushes beside it);
- the spine floor: `assignment.published` on the course stream, for the same publish, on the
  same sockets (publish commits -> relay -> socket), so the ratio is what the consumer adds;
- the realtime bench's paced floor (bench/realtime/floor.py, a bare aiohttp WebSocket server,
  measured as `python -m bench.realtime` measures it): as many clients, as many events, at the
  same rate, each frame stamped when it is sent;
- the store floor (bench/notification_store_floor.py): the Mongo writes any design must make
  for one publish's notifications (each student's inbox item, one envelope, the head), bare,
  in the same Mongo, after the run: no version of the path beats it on this store.

CPU per notification: the server process (and, beside it, the Mongo process and this run's
Postgres backends) from the first publish until everything is drained (relayed, and the
consumers caught up), over the `notification.created` delivered. Pushes to online students wait
PUSH_GRACE_SECONDS (60); each run waits until they are settled before the next begins, so one
run's deferred pushes never land in the next run's window (their claim-and-hold step, done at
once, is in the window; the skip 60 s later, for the first publishes of a run, may be).

The rate must be one the machine sustains: "drained N s after the last publish" well above a
second means the server fell behind, and the run measured a queue, not the path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import psutil
from pymongo import AsyncMongoClient

from bench.notification_store_floor import prepare, store_floor
from bench.notifications_live_steps import (
    CREATED,
    PUBLISHED,
    SECRET,
    Cpu,
    bare_floor,
    drafts,
    pct,
    profile,
    publish_paced,
    seed,
    settle,
    spawn_clients,
    stages,
    token,
    wait_drained,
)
from bench.support import migrated_database, start_mongo
from tests.process import ServerProcess, free_port


def start_floor(port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bench.realtime.floor", "--port", str(port)])


def run_figures(receipts: dict, sent: dict[str, tuple[float, float]], floor: list[float],
                store: list[float], cpu: tuple[float, float, float],
                students: int) -> dict:  # fmt: skip
    created, published = [], []
    for assignment, (t0, _) in sent.items():
        got = receipts.get(assignment, {})
        created += [t - t0 for t in got.get(CREATED, [])]
        published += [t - t0 for t in got.get(PUBLISHED, [])]
    delivered = max(len(created), 1)
    by_publish = [statistics.median([t - t0 for t in receipts.get(a, {}).get(CREATED, [])] or [0])
                  for a, (t0, _) in sorted(sent.items(), key=lambda kv: kv[1][0])]  # fmt: skip
    return {
        "per_publish_p50_ms": [round(v * 1000) for v in by_publish],
        "delivered": len(created),
        "expected": students * len(sent),
        "created_p50": pct(created, 0.5) * 1000,
        "created_p99": pct(created, 0.99) * 1000,
        "published_p50": pct(published, 0.5) * 1000,
        "published_p99": pct(published, 0.99) * 1000,
        "floor_p50": pct(floor, 0.5) * 1000,
        "floor_p99": pct(floor, 0.99) * 1000,
        "vs_spine": pct(created, 0.99) / pct(published, 0.99),
        "vs_floor": pct(created, 0.99) / pct(floor, 0.99),
        "store_p50": pct(store, 0.5) * 1000,
        "store_p99": pct(store, 0.99) * 1000,
        "store_vs_floor": pct(store, 0.5) / pct(floor, 0.99),
        "server_cpu_ms": cpu[0] * 1000 / delivered,
        "mongo_cpu_ms": cpu[1] * 1000 / delivered,
        "pg_cpu_ms": cpu[2] * 1000 / delivered,
    }


def spread(runs: list[dict], key: str) -> str:
    values = [r[key] for r in runs]
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def report(args: argparse.Namespace, runs: list[dict]) -> None:
    print(f"\nlive: {args.students} students, {args.publishes} publishes at {args.rate}/s per "
          f"run, {len(runs)} runs; median (min-max over runs)")  # fmt: skip
    rows = [("notification.created p50 / p99 ms", "created_p50", "created_p99"),
            ("spine floor: assignment.published p50 / p99 ms", "published_p50", "published_p99"),
            ("bare WS floor (bench/realtime) p50 / p99 ms", "floor_p50", "floor_p99")]  # fmt: skip
    for label, p50, p99 in rows:
        print(f"  {label}: {spread(runs, p50)} / {spread(runs, p99)}")
    print(f"  p99 ratio vs spine floor: {spread(runs, 'vs_spine')}x")
    print(f"  p99 ratio vs bare WS floor: {spread(runs, 'vs_floor')}x (goal <= 1.5x)")
    print(f"  store floor (a publish's minimal Mongo writes, bare) p50 / p99 ms: "
          f"{spread(runs, 'store_p50')} / {spread(runs, 'store_p99')}; its p50 vs the bare WS "
          f"floor's p99: {spread(runs, 'store_vs_floor')}x")  # fmt: skip
    print(f"  CPU ms per notification: server {spread(runs, 'server_cpu_ms')}, Mongo "
          f"{spread(runs, 'mongo_cpu_ms')}, Postgres {spread(runs, 'pg_cpu_ms')}")  # fmt: skip
    print(f"  delivered {sum(r['delivered'] for r in runs)} of "
          f"{sum(r['expected'] for r in runs)}; load average {psutil.getloadavg()}")  # fmt: skip


async def run_live(args: argparse.Namespace) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-notif-"))
    # No TTL sweeps: SecantusDB's (a full scan of event_log every minute, under its storage
    # lock) stalled the relay for up to a minute once the log held ~10,000 envelopes
    # (docs/notifications.md); nothing expires within a bench anyway.
    mongo, mongo_url = start_mongo(tmp, ttl_sweep_seconds=0)
    floor_port = free_port()
    floor = start_floor(floor_port)
    mongo_client: AsyncMongoClient = AsyncMongoClient(mongo_url, tz_aware=True)
    gens: list[subprocess.Popen] = []
    try:
        async with migrated_database() as dsn:
            env = {"DATABASE_URL": dsn, "MONGODB_URL": mongo_url, "DATA_DIR": str(tmp),
                   "JWT_SECRET": SECRET, "LOG_LEVEL": "warn", "REDIS_URL": "",
                   "CONSUMERS_ENABLED": "true"}  # fmt: skip
            env.update(e.split("=", 1) for e in args.env)
            server = ServerProcess(env, tmp / "serve.log").start()
            try:
                await asyncio.to_thread(server.wait_ready)
                return await _runs(args, dsn, server, mongo, mongo_client,
                                   f"http://127.0.0.1:{floor_port}", gens)  # fmt: skip
            finally:
                server.stop()
                print(f"server log: {tmp / 'serve.log'}")
    finally:
        for g in gens:
            g.kill()
        await mongo_client.close()
        floor.terminate()
        floor.wait(10)
        mongo.kill()
        mongo.wait()


async def _runs(args, dsn, server, mongo, mongo_client, floor_url, gens) -> list[dict]:
    teacher, course, students = await seed(dsn, args.students)
    auth = {"Authorization": f"Bearer {token(teacher)}"}
    async with aiohttp.ClientSession(headers=auth) as session:
        warm = 2
        ids = await drafts(session, server.url, course, warm + args.runs * args.publishes)
        deadline = args.runs * (2 * args.publishes / args.rate + 300) + 300
        gens += spawn_clients(server.url, [token(s) for s in students], args.procs, len(ids),
                              deadline)  # fmt: skip
        await asyncio.sleep(2)
        conn = await asyncpg.connect(dsn)
        cpu = Cpu(server.proc.pid, mongo.pid, urlsplit(dsn).path.lstrip("/"))
        db = mongo_client["classconnect"]
        await publish_paced(session, server.url, ids[:warm], args.rate)  # warm both paths
        await wait_drained(conn, ids[:warm], warm * args.students)
        await settle(db)
        batches = []
        floor_users = await prepare(db, args.students)
        for run in range(args.runs):
            mine = ids[warm + run * args.publishes : warm + (run + 1) * args.publishes]
            spies = profile(args, run, {"server": server.proc.pid, "mongo": mongo.pid})
            cpu.start()
            sent = await publish_paced(session, server.url, mine, args.rate)
            drained = await wait_drained(conn, mine, len(mine) * args.students)
            used = cpu.stop()
            for spy in spies:
                spy.wait()
            steps = await stages(conn, sent)
            floor = await asyncio.to_thread(
                bare_floor, floor_url, args.students, args.publishes, args.rate, args.procs
            )
            print(f"run {run + 1}: drained {drained:.1f} s after the last publish; steps (median "
                  f"ms after the call): {json.dumps(steps)}", flush=True)  # fmt: skip
            await settle(db)
            # The store floor on a quiet Mongo, as the path found it when each publish began.
            store = await store_floor(db, floor_users, args.publishes, run * args.publishes + 1)
            batches.append((sent, floor, store, used))
        await conn.close()
    receipts: dict[str, dict[str, list[float]]] = {}
    for g in gens:
        for key, got in json.loads(g.stdout.readline())["receipts"].items():
            merged = receipts.setdefault(key, {PUBLISHED: [], CREATED: []})
            for name, times in got.items():
                merged[name] += times
        g.wait(30)
    runs = [run_figures(receipts, sent, floor, store, used, args.students)
            for sent, floor, store, used in batches]  # fmt: skip
    for n, r in enumerate(runs, 1):
        print(f"run {n}: " + json.dumps({k: v if isinstance(v, list) else round(v, 2)
                                         for k, v in r.items()}))  # fmt: skip
    return runs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--students", type=int, default=200, help="live: sockets, one each")
    parser.add_argument("--publishes", type=int, default=12, help="live: publishes per run")
    parser.add_argument("--rate", type=float, default=0.2, help="live: publishes per second")
    parser.add_argument("--runs", type=int, default=3, help="live: repeated runs")
    parser.add_argument("--procs", type=int, default=2, help="live: load-generator processes")
    parser.add_argument("--profile", default="", help="live: py-spy each run into DIR")
    parser.add_argument("--env", action="append", default=[],
                        help="live: NAME=VALUE for the server (repeatable)")  # fmt: skip


async def main(args: argparse.Namespace) -> None:
    report(args, await run_live(args))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    asyncio.run(main(parser.parse_args()))
