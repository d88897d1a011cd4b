"""Realtime benchmarks, side by side with a bare aiohttp WebSocket floor. Loopback only; every
phase is bounded in clients, events and time. Needs Postgres on 127.0.0.1:5432 (a scratch
database is created and dropped) and starts its own SecantusDB.

    python -m bench.realtime [--fanout 1000x1000] [--idle 5000] [--storm 2000x50] [--procs 2]

1. Fan-out: N clients in one course room, E events recorded in the outbox (relay -> log ->
   Socket.IO) vs the floor broadcasting E frames: deliveries/s, p50/p99 latency.
2. Memory: RSS per idle authenticated connection at N connections (and the floor's).
3. Reconnect storm: N clients connect at once, each E events behind: time until all caught up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import psutil

from server.domain.events import course_stream, event
from server.domain.tokens import issue_access_token
from server.stores import outbox
from tests.process import ServerProcess, free_port

ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-secret-" + "z" * 40


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def loadgen(mode: str, url: str, count: int, procs: int, **kw) -> list[subprocess.Popen]:
    per = [count // procs + (1 if i < count % procs else 0) for i in range(procs)]
    out = []
    for n in per:
        args = [sys.executable, "-m", "bench.realtime.clients", "--mode", mode, "--url", url,
                "--count", str(n)]  # fmt: skip
        for key, value in kw.items():
            args += [f"--{key}", str(value)]
        out.append(subprocess.Popen(args, stdout=subprocess.PIPE, text=True))
    return out


def wait_connected(gens: list[subprocess.Popen]) -> float:
    return max(json.loads(g.stdout.readline())["seconds"] for g in gens)


def results(gens: list[subprocess.Popen]) -> dict:
    merged = {"received": 0, "latencies": [], "done_after": [], "complete_clients": 0}
    for g in gens:
        r = json.loads(g.stdout.readline())
        if "connected" in r:  # the storm does not wait for connections separately
            r = json.loads(g.stdout.readline())
        g.wait(timeout=180)
        merged["received"] += r["received"]
        merged["latencies"] += r["latencies"]
        merged["done_after"] += r["done_after"]
        merged["complete_clients"] += r["complete_clients"]
    return merged


async def seed(dsn: str, students: int) -> tuple[uuid.UUID, list[str]]:
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in range(students + 1)]
    await conn.executemany(
        "INSERT INTO users (id, email, name, email_verified, created_at, updated_at) "
        "VALUES ($1, $2, 'B', true, $3, $3)",
        [(i, f"{i.hex}@bench.test", now) for i in ids],
    )
    course = uuid.uuid4()
    await conn.execute(
        "INSERT INTO courses (id, owner_id, title, category, level, modality, capacity, "
        "starts_on, ends_on, enroll_until, created_at, updated_at) VALUES ($1, $2, 'Bench', "
        "'bench', 'beginner', 'online', 10000, $3, $4, $3, $5, $5)",
        course, ids[0], (now + timedelta(days=30)).date(), (now + timedelta(days=90)).date(), now,
    )  # fmt: skip
    await conn.executemany(
        "INSERT INTO course_members (course_id, user_id, role, status, joined_at, updated_at) "
        "VALUES ($1, $2, $3, 'active', $4, $4)",
        [(course, i, "owner" if n == 0 else "student", now) for n, i in enumerate(ids)],
    )
    await conn.close()
    tokens = [
        issue_access_token(
            secret=SECRET, user_id=i, token_version=0, now=now, ttl=timedelta(hours=2)
        )
        for i in ids[1:]
    ]
    return course, tokens


async def record_events(dsn: str, course: uuid.UUID, count: int) -> float:
    conn = await asyncpg.connect(dsn)
    started = time.time()
    async with conn.transaction():
        await outbox.append(conn, [
            event("module.changed", course_stream(course), at=datetime.now(UTC), n=n)
            for n in range(count)
        ])  # fmt: skip
    await conn.close()
    return started


async def record_events_paced(dsn: str, course: uuid.UUID, count: int, rate: float) -> float:
    """One event per transaction at `rate` per second, each stamped when it commits."""
    conn = await asyncpg.connect(dsn)
    loop = asyncio.get_running_loop()
    started, start = time.time(), loop.time()
    for n in range(count):
        await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
        async with conn.transaction():
            await outbox.append(
                conn, [event("module.changed", course_stream(course), at=datetime.now(UTC), n=n)]
            )
    await conn.close()
    return started


def report(name: str, r: dict, started: float, expected: int) -> dict:
    lat = r["latencies"]
    span = max(r["done_after"], default=float("nan")) - started
    return {
        "phase": name,
        "deliveries": r["received"],
        "expected": expected,
        "seconds": round(span, 2),
        "deliveries_per_s": round(r["received"] / span) if span == span else None,
        "p50_ms": round(pct(lat, 0.5) * 1000, 1),
        "p99_ms": round(pct(lat, 0.99) * 1000, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fanout", default="1000x1000")
    ap.add_argument("--idle", type=int, default=5000)
    ap.add_argument("--storm", default="2000x50")
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--rate", type=float, default=100.0, help="events/s of the paced fan-out")
    args = ap.parse_args()
    fan_clients, fan_events = map(int, args.fanout.split("x"))
    storm_clients, storm_behind = map(int, args.storm.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="bench-rt-"))
    db_name = f"bench_rt_{uuid.uuid4().hex[:8]}"
    dsn = ADMIN_URL.rsplit("/", 1)[0] + "/" + db_name

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(ADMIN_URL)
        await conn.execute(sql)
        await conn.close()

    from secantus import SecantusDBServer

    mongo = SecantusDBServer(storage_path=str(tmp / "mongo"))
    mongo.start()
    asyncio.run(admin(f'CREATE DATABASE "{db_name}"'))
    env = {"DATABASE_URL": dsn, "MONGODB_URL": mongo.uri, "DATA_DIR": str(tmp),
           "JWT_SECRET": SECRET, "LOG_LEVEL": "warn", "REDIS_URL": "",
           "REALTIME_SOCKET_QUEUE_LIMIT": "5000"}  # fmt: skip
    server = ServerProcess(env, tmp / "serve.log").start()
    floor_port = free_port()
    floor = subprocess.Popen([sys.executable, "-m", "bench.realtime.floor", "--port",
                              str(floor_port)])  # fmt: skip
    floor_url = f"http://127.0.0.1:{floor_port}"
    out: list[dict] = []
    try:
        server.wait_ready()
        students = max(fan_clients, storm_clients, 1)
        course, tokens = asyncio.run(seed(dsn, students))
        stream = course_stream(course)
        sproc, fproc = psutil.Process(server.proc.pid), psutil.Process(floor.pid)
        time.sleep(1)

        # 1. Fan-out, Socket.IO then floor, the same clients.
        # One token per load-generator process is enough: every student is in the room.
        gens = loadgen("sio", server.url, fan_clients, args.procs, token=tokens[0],
                       expect=fan_events, deadline=120)  # fmt: skip
        wait_connected(gens)
        time.sleep(2)
        started = asyncio.run(record_events(dsn, course, fan_events))
        sio = report("fanout socket.io", results(gens), started, fan_clients * fan_events)
        gens = loadgen("floor", floor_url, fan_clients, args.procs, expect=fan_events,
                       deadline=120)  # fmt: skip
        wait_connected(gens)
        time.sleep(1)
        started = time.time()
        urllib.request.urlopen(
            urllib.request.Request(
                f"{floor_url}/broadcast?n={fan_events}&stream={stream}", method="POST"
            ),
            timeout=120,
        )
        flo = report("fanout floor", results(gens), started, fan_clients * fan_events)
        sio["vs_floor"] = round(sio["deliveries_per_s"] / flo["deliveries_per_s"], 2)
        out += [sio, flo]
        print(json.dumps(sio), json.dumps(flo), sep="\n", flush=True)

        # 1b. The same fan-out paced at --rate events/s: latency in steady state, not the time
        # a million deliveries take to drain.
        gens = loadgen("sio", server.url, fan_clients, args.procs, token=tokens[0],
                       expect=fan_events, deadline=120)  # fmt: skip
        wait_connected(gens)
        time.sleep(2)
        started = asyncio.run(record_events_paced(dsn, course, fan_events, args.rate))
        sio = report("fanout paced socket.io", results(gens), started, fan_clients * fan_events)
        gens = loadgen("floor", floor_url, fan_clients, args.procs, expect=fan_events,
                       deadline=120)  # fmt: skip
        wait_connected(gens)
        time.sleep(1)
        started = time.time()
        urllib.request.urlopen(
            urllib.request.Request(
                f"{floor_url}/broadcast?n={fan_events}&stream={stream}&rate={args.rate}",
                method="POST",
            ),
            timeout=120,
        )
        flo = report("fanout paced floor", results(gens), started, fan_clients * fan_events)
        out += [sio, flo]
        print(json.dumps(sio), json.dumps(flo), sep="\n", flush=True)

        # 2. Memory per idle authenticated connection.
        for name, url, proc, mode in (("socket.io", server.url, sproc, "sio"),
                                      ("floor", floor_url, fproc, "floor")):  # fmt: skip
            before = proc.memory_info().rss
            gens = loadgen(mode, url, args.idle, args.procs, token=tokens[0], idle=8,
                           deadline=120)  # fmt: skip
            wait_connected(gens)
            time.sleep(5)
            during = proc.memory_info().rss
            results(gens)
            per_kb = round((during - before) / args.idle / 1024, 1)
            out.append({"phase": f"memory {name}", "connections": args.idle,
                        "kb_per_connection": per_kb})  # fmt: skip

        # 3. Reconnect storm: everybody `behind` events behind on the course stream.
        head = 2 * fan_events  # the burst and the paced fan-out came before
        asyncio.run(record_events(dsn, course, storm_behind))
        time.sleep(2)
        resume = json.dumps({stream: head})
        storm_started = time.time()
        gens = loadgen("sio", server.url, storm_clients, args.procs, token=tokens[0],
                       expect=storm_behind, resume=resume, deadline=60)  # fmt: skip
        r = results(gens)
        done = [t - storm_started for t in r["done_after"]]
        out.append({"phase": "reconnect storm", "clients": storm_clients,
                    "caught_up": r["complete_clients"], "behind": storm_behind,
                    "p50_s": round(pct(done, 0.5), 2), "p99_s": round(pct(done, 0.99), 2),
                    "all_s": round(max(done, default=float("nan")), 2)})  # fmt: skip
    finally:
        server.stop()
        floor.terminate()
        floor.wait(10)
        mongo.stop()
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
    for row in out:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
