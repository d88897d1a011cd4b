"""Realtime benchmarks, side by side with a bare aiohttp WebSocket floor. Loopback only; every
phase is bounded in clients, events and time. Needs Postgres on 127.0.0.1:5432 (a scratch
database is created and dropped) and starts its own SecantusDB.

    python -m bench.realtime [--fanout 1000x1000] [--rate 50] [--idle 5000] [--storm 2000x50]
        [--procs 2] [--phases fanout,paced,memory,storm] [--workers 2]

1. Fan-out: N clients in one course room, E events recorded in the outbox (relay -> log ->
   Socket.IO) vs the floor broadcasting E frames: deliveries/s, p50/p99 latency; in one burst
   (throughput) and paced at --rate events/s, one event per transaction (steady-state latency).
2. Memory: RSS per idle authenticated connection at N connections (and the floor's).
3. Reconnect storm: N clients connect at once, each E events behind: time until all caught up.
4. With --workers N (N > 1), last: the burst fan-out through the real `serve --workers N` and
   `serve --workers 1`, both on Redis (127.0.0.1:6379): deliveries/s ratio and server CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from math import nan
from pathlib import Path

import asyncpg
import psutil

from bench.support import start_mongo
from bench.workers import start_serve, tree_cpu_seconds
from server.domain.events import course_stream, event
from server.domain.tokens import issue_access_token
from server.stores import outbox
from tests.process import ServerProcess, free_port

ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-secret-" + "z" * 40


def cpu_seconds(times) -> float:
    """User + system CPU of psutil's cpu_times() or resource.getrusage()."""
    user = getattr(times, "user", getattr(times, "ru_utime", 0.0))
    return user + getattr(times, "system", getattr(times, "ru_stime", 0.0))


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def loadgen(mode: str, url: str, count: int, procs: int, tokens: list[str] | None = None,
            **kw) -> list[subprocess.Popen]:  # fmt: skip
    """`procs` load-generator processes with `count` clients between them; with `tokens`, each
    client connects as its own user (tokens[i]), otherwise all with `token`."""
    per = [count // procs + (1 if i < count % procs else 0) for i in range(procs)]
    out, first = [], 0
    for n in per:
        args = [sys.executable, "-m", "bench.realtime.clients", "--mode", mode, "--url", url,
                "--count", str(n)]  # fmt: skip
        for key, value in kw.items():
            flag = "--" + key.replace("_", "-")
            if value is True:
                args.append(flag)
            elif value is not False:
                args += [flag, str(value)]
        if tokens is not None:
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                json.dump(tokens[first : first + n], f)
            args += ["--tokens-file", f.name]
        first += n
        out.append(subprocess.Popen(args, stdout=subprocess.PIPE, text=True))
    return out


def wait_connected(gens: list[subprocess.Popen]) -> float:
    return max(json.loads(g.stdout.readline())["seconds"] for g in gens)


def results(gens: list[subprocess.Popen]) -> dict:
    merged = {"received": 0, "latencies": [], "done_after": [], "complete_clients": 0,
              "began": []}  # fmt: skip
    for g in gens:
        r = json.loads(g.stdout.readline())
        if "connected" in r:  # the storm does not wait for connections separately
            merged["began"].append(r["began"])
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
        "max_ms": round(max(lat, default=nan) * 1000, 1),
    }


@dataclass
class Bench:
    args: argparse.Namespace
    dsn: str
    server: ServerProcess
    floor: subprocess.Popen
    floor_url: str
    course: uuid.UUID | None = None
    tokens: list[str] = field(default_factory=list)
    recorded: int = 0  # events recorded on the course stream so far = its head seq
    out: list[dict] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # the server's, for --workers
    tmp: Path = Path(".")

    def emit(self, *rows: dict) -> None:
        self.out += rows
        for row in rows:
            print(json.dumps(row), flush=True)

    def broadcast_floor(self, n: int, rate: float = 0) -> float:
        started = time.time()
        url = f"{self.floor_url}/broadcast?n={n}&stream={course_stream(self.course)}&rate={rate}"
        urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=180)
        return started


def phase_fanout(b: Bench, *, paced: bool) -> None:
    """The same clients get E events from us (through the outbox) and then from the floor."""
    clients, events = map(int, b.args.fanout.split("x"))
    rate = b.args.rate if paced else 0
    name = "fanout paced" if paced else "fanout"
    # One token per load-generator process is enough: every student is in the room.
    gens = loadgen("sio", b.server.url, clients, b.args.procs, token=b.tokens[0], expect=events,
                   deadline=120)  # fmt: skip
    wait_connected(gens)
    time.sleep(2)
    if paced:
        started = asyncio.run(record_events_paced(b.dsn, b.course, events, rate))
    else:
        started = asyncio.run(record_events(b.dsn, b.course, events))
    b.recorded += events
    ours = report(f"{name} socket.io", results(gens), started, clients * events)
    gens = loadgen("floor", b.floor_url, clients, b.args.procs, expect=events, deadline=120)
    wait_connected(gens)
    time.sleep(1)
    started = b.broadcast_floor(events, rate)
    floor = report(f"{name} floor", results(gens), started, clients * events)
    if paced:
        ours["rate_per_s"] = floor["rate_per_s"] = rate
    else:
        ours["vs_floor"] = round(ours["deliveries_per_s"] / floor["deliveries_per_s"], 2)
    b.emit(ours, floor)


def phase_memory(b: Bench) -> None:
    """RSS per idle authenticated connection, ours and the floor's: the slope between N/2 and N
    connections (so one-time allocations, like the first arenas, do not count), and beside it
    the growth from zero to N divided by N."""
    procs = (("socket.io", b.server.url, b.server.proc.pid, "sio"),
             ("floor", b.floor_url, b.floor.pid, "floor"))  # fmt: skip
    half = b.args.idle // 2
    for name, url, pid, mode in procs:
        proc = psutil.Process(pid)
        rss = []
        gens: list[subprocess.Popen] = []
        for hold in (40, 20):  # the first half stays connected while the second arrives
            rss.append(proc.memory_info().rss)
            more = loadgen(mode, url, half, b.args.procs, token=b.tokens[0], idle=hold,
                           deadline=120)  # fmt: skip
            wait_connected(more)
            gens += more
            time.sleep(3)
        rss.append(proc.memory_info().rss)
        results(gens)
        b.emit({"phase": f"memory {name}", "connections": 2 * half,
                "kb_per_connection": round((rss[2] - rss[1]) / half / 1024, 1),
                "kb_from_zero": round((rss[2] - rss[0]) / (2 * half) / 1024, 1)})  # fmt: skip
        time.sleep(2)


def phase_storm(b: Bench) -> None:
    """N clients, each its own user, connect at once, each E events behind on the course
    stream. The clock starts when the load generators start connecting (reported beside: from
    before they were spawned, which adds their interpreter start-up)."""
    clients, behind = map(int, b.args.storm.split("x"))
    head = b.recorded
    asyncio.run(record_events(b.dsn, b.course, behind))
    b.recorded += behind
    time.sleep(2)
    resume = json.dumps({course_stream(b.course): head})
    server_cpu = cpu_seconds(psutil.Process(b.server.proc.pid).cpu_times())
    loadgen_cpu = cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN))
    spawned = time.time()
    gens = loadgen("sio", b.server.url, clients, b.args.procs, tokens=b.tokens[:clients],
                   expect=behind, resume=resume, deadline=60, count_only=True)  # fmt: skip
    r = results(gens)
    server_cpu = cpu_seconds(psutil.Process(b.server.proc.pid).cpu_times()) - server_cpu
    loadgen_cpu = cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN)) - loadgen_cpu
    began = min(r["began"], default=spawned)
    done = [t - began for t in r["done_after"]]
    b.emit({"phase": "reconnect storm", "clients": clients, "caught_up": r["complete_clients"],
            "behind": behind, "p50_s": round(pct(done, 0.5), 2),
            "p99_s": round(pct(done, 0.99), 2), "all_s": round(max(done, default=nan), 2),
            "all_s_from_spawn": round(max(r["done_after"], default=nan) - spawned, 2),
            "server_cpu_s": round(server_cpu, 2),
            "loadgen_cpu_s": round(loadgen_cpu, 2)})  # fmt: skip


def phase_workers(b: Bench) -> None:
    """The burst fan-out through `serve --workers N`, then `--workers 1`, one at a time: the
    main server is stopped first, as it would relay the same outbox to its own clients."""
    b.server.stop()
    clients, events = map(int, b.args.fanout.split("x"))
    rows = []
    for n in (b.args.workers, 1):
        server = start_serve(b.env, n, b.tmp)
        try:
            gens = loadgen("sio", server.url, clients, b.args.procs, token=b.tokens[0],
                           expect=events, deadline=120)  # fmt: skip
            wait_connected(gens)
            time.sleep(2)
            cpu = tree_cpu_seconds(server.proc.pid)  # type: ignore[union-attr]
            started = asyncio.run(record_events(b.dsn, b.course, events))
            b.recorded += events
            row = report(f"fanout {n} worker(s)", results(gens), started, clients * events)
            cpu = tree_cpu_seconds(server.proc.pid) - cpu  # type: ignore[union-attr]
            row["server_cpu_ms_per_1k"] = round(cpu * 1e6 / max(row["deliveries"], 1), 2)
            rows.append(row)
        finally:
            server.stop()
    many, one = rows
    many["vs_1_worker"] = round(many["deliveries_per_s"] / one["deliveries_per_s"], 2)
    b.emit(*rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fanout", default="1000x1000")
    ap.add_argument("--idle", type=int, default=5000)
    ap.add_argument("--storm", default="2000x50")
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--rate", type=float, default=50.0, help="events/s of the paced fan-out")
    ap.add_argument("--phases", default="fanout,paced,memory,storm")
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="N > 1: add the fan-out through `serve --workers N` vs 1 (Redis)",
    )
    ap.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop",
                    help="event loop of the server and of the floor")  # fmt: skip
    args = ap.parse_args()
    phases = args.phases.split(",") + (["workers"] if args.workers > 1 else [])
    tmp = Path(tempfile.mkdtemp(prefix="bench-rt-"))
    db_name = f"bench_rt_{uuid.uuid4().hex[:8]}"
    dsn = ADMIN_URL.rsplit("/", 1)[0] + "/" + db_name

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(ADMIN_URL)
        await conn.execute(sql)
        await conn.close()

    # In a process of its own, like a real MongoDB: in this one its threads would hold the GIL
    # from the code recording the events (a 1 s stall after the burst phase was seen).
    mongo, mongo_url = start_mongo(tmp)
    asyncio.run(admin(f'CREATE DATABASE "{db_name}"'))
    env = {"DATABASE_URL": dsn, "MONGODB_URL": mongo_url, "DATA_DIR": str(tmp),
           "JWT_SECRET": SECRET, "LOG_LEVEL": "warn", "REDIS_URL": "",
           "REALTIME_SOCKET_QUEUE_LIMIT": "5000", "EVENT_LOOP": args.loop,
           # The fan-out and memory phases connect every client of a load generator with one
           # token (every student is in the room anyway); the per-user cap would refuse them.
           "REALTIME_MAX_SOCKETS_PER_USER": "1000000"}  # fmt: skip
    server = ServerProcess(env, tmp / "serve.log").start()
    floor_port = free_port()
    floor = subprocess.Popen([sys.executable, "-m", "bench.realtime.floor", "--port",
                              str(floor_port), "--loop", args.loop])  # fmt: skip
    b = Bench(args, dsn, server, floor, f"http://127.0.0.1:{floor_port}", env=env, tmp=tmp)
    try:
        server.wait_ready()
        students = max(int(args.fanout.split("x")[0]), int(args.storm.split("x")[0]), 1)
        b.course, b.tokens = asyncio.run(seed(dsn, students))
        time.sleep(1)
        for phase in phases:
            if phase in ("fanout", "paced"):
                phase_fanout(b, paced=phase == "paced")
            elif phase == "memory":
                phase_memory(b)
            elif phase == "storm":
                phase_storm(b)
            elif phase == "workers":
                phase_workers(b)
            else:
                raise SystemExit(f"unknown phase {phase!r}")
    finally:
        server.stop()
        floor.terminate()
        floor.wait(10)
        mongo.kill()
        mongo.wait()
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
    print("summary:")
    for row in b.out:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
