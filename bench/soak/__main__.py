"""Soak: `classconnect serve` in a process of its own on loopback, N socket clients (one real
user each) and a paced REST mix for --minutes; run by hand, never as a timed test. Needs
Postgres on 127.0.0.1:5432 (a scratch database, dropped after) and starts its own SecantusDB.

    python -m bench.soak [--minutes 10] [--clients 500] [--rate 20] [--procs 2]

Reports: every 5xx (and requests with no answer) by kind, per-minute throughput and latency;
events lost (a gap in any client's seqs on any stream, or a stream whose last seq a client
saw is short of the log's head once the load stopped), duplicates and resyncs; the server's
resident memory after the warm-up and at the end (growth, goal < 10 %), its CPU per request
and per delivered event; and what else was using the machine's CPU meanwhile.
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
import uuid
from pathlib import Path

import asyncpg
import psutil
from pymongo import AsyncMongoClient

from bench.http_load import postgres_cpu_seconds
from bench.soak.report import machine_load, report
from bench.soak.seed import seed
from bench.support import admin_url, start_mongo, with_database
from server.stores import consumer_offsets, event_log
from tests.process import ServerProcess

SECRET = "soak-secret-" + "s" * 40
UNRELAYED = "SELECT count(*) FROM outbox WHERE relayed_at IS NULL"


def spawn(module: str, *argv: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", module, *argv], stdout=subprocess.PIPE,
                            stdin=subprocess.PIPE, text=True)  # fmt: skip


def socket_procs(url: str, tokens: list[str], procs: int, tmp: Path) -> list:
    out = []
    for i in range(procs):
        part = tokens[i::procs]
        path = tmp / f"tokens-{i}.json"
        path.write_text(json.dumps(part))
        out.append(spawn("bench.soak.sockets", "--url", url, "--tokens-file", str(path)))
    return out


async def sample_rss(pid: int, samples: list[tuple[float, int]], t0: float) -> None:
    proc = psutil.Process(pid)
    while True:
        samples.append((time.monotonic() - t0, proc.memory_info().rss))
        await asyncio.sleep(5)


async def sample_lags(dsn: str, out: list[tuple[float, dict[str, int]]], t0: float) -> None:
    """How far each durable consumer (notifications, audit) and the relay are behind."""
    conn = await asyncpg.connect(dsn)
    try:
        while True:
            lags = await consumer_offsets.lags(conn)
            lags["relay"] = await conn.fetchval(UNRELAYED)
            out.append((time.monotonic() - t0, lags))
            await asyncio.sleep(10)
    finally:
        await conn.close()


async def quiet_heads(env: dict[str, str], settle: float, limit: float) -> tuple[dict, float]:
    """Every stream's head once nothing more is being recorded (the outbox relayed, the heads
    unchanged for `settle` seconds: the consumers' own events, notifications, come after the
    REST mix stops), and how long that took; the heads as they are if `limit` passes first.
    The sockets have had `settle` seconds to receive the last."""
    client: AsyncMongoClient = AsyncMongoClient(env["MONGODB_URL"])
    pg = await asyncpg.connect(env["DATABASE_URL"])
    started = time.monotonic()
    try:
        before, stable_since = None, time.monotonic()
        while time.monotonic() - started < limit:
            coll = client["classconnect"][event_log.HEADS]
            now = {d["_id"]: d.get("appended", 0) async for d in coll.find({})}
            if now != before or await pg.fetchval(UNRELAYED):
                before, stable_since = now, time.monotonic()
            elif time.monotonic() - stable_since >= settle:
                return now, stable_since - started
            await asyncio.sleep(1)
        return before or {}, float("inf")
    finally:
        await pg.close()
        await client.close()


def cpu_of(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def soak(
    args: argparse.Namespace, server: ServerProcess, env: dict, tmp: Path, mongo_pid: int
) -> dict:
    plan, tokens = await seed(server.url, env, clients=args.clients, secret=SECRET,
                              minutes=args.minutes)  # fmt: skip
    sockets = socket_procs(server.url, tokens, args.procs, tmp)
    for proc in sockets:
        json.loads(proc.stdout.readline())  # all connecting
    await asyncio.sleep(10)  # the last ones are through their replay
    plan_path = tmp / "plan.json"
    plan_path.write_text(json.dumps(plan))
    seconds = args.minutes * 60
    pid = server.proc.pid  # type: ignore[union-attr]
    database = env["DATABASE_URL"].rsplit("/", 1)[-1]
    cpu0, mongo0, pg0 = cpu_of(pid), cpu_of(mongo_pid), postgres_cpu_seconds(database)
    t0, rss, others = time.monotonic(), [], []
    rest = spawn("bench.soak.rest", "--plan", str(plan_path), "--seconds", str(seconds),
                 "--rate", str(args.rate))  # fmt: skip
    lags: list = []
    sampler = asyncio.create_task(sample_rss(pid, rss, t0))
    lagger = asyncio.create_task(sample_lags(env["DATABASE_URL"], lags, t0))
    watcher = asyncio.create_task(
        machine_load(others, exclude_pid=os.getpid(), database=database, every=60)
    )
    out, _ = await asyncio.to_thread(rest.communicate)
    cpu1, mongo1, pg1 = cpu_of(pid), cpu_of(mongo_pid), postgres_cpu_seconds(database)
    heads, drained = await quiet_heads(env, args.settle, args.drain_limit)
    for p in sockets:
        p.stdin.write("stop\n")
        p.stdin.flush()
    results = [json.loads(p.stdout.readline()) for p in sockets]
    for task in (sampler, watcher, lagger):
        task.cancel()
    clients = [c for r in results for c in r["clients"]]
    for p in sockets:
        p.wait(30)
    return {
        "samples": json.loads(out)["samples"], "clients": clients, "heads": heads,
        "rss": rss, "cpu_seconds": cpu1 - cpu0,
        "mongo_cpu_seconds": mongo1 - mongo0, "pg_cpu_seconds": pg1 - pg0,
        "seconds": seconds, "warmup": min(120.0, seconds / 4), "others": others,
        "lags": lags, "drained": drained,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=500, help="socket clients, one user each")
    ap.add_argument("--rate", type=float, default=20.0, help="REST operations a second")
    ap.add_argument("--procs", type=int, default=2, help="socket client processes")
    ap.add_argument(
        "--drain-limit",
        type=float,
        default=900.0,
        help="seconds to wait, after the load, for the consumers to catch up",
    )
    ap.add_argument("--settle", type=float, default=5.0,
                    help="seconds without a new event before the clients stop")  # fmt: skip
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    admin, name = admin_url(), f"cc_soak_{uuid.uuid4().hex[:8]}"

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        await conn.execute(sql)
        await conn.close()

    mongo, mongo_url = start_mongo(tmp)
    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    env = {"DATABASE_URL": with_database(admin, name), "MONGODB_URL": mongo_url,
           "MONGODB_DATABASE": "classconnect", "DATA_DIR": str(tmp), "JWT_SECRET": SECRET,
           "LOG_LEVEL": "warn", "REDIS_URL": "",
           # The REST mix's admin token is signed in once, at the start.
           "ACCESS_TOKEN_MINUTES": str(int(args.minutes) + 30)}  # fmt: skip
    server = ServerProcess(env, tmp / "serve.log").start()
    try:
        server.wait_ready()
        result = asyncio.run(soak(args, server, env, tmp, mongo.pid))
    finally:
        server.stop()
        mongo.kill()
        mongo.wait()
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    ok = report(result, args)
    errors = [line for line in (tmp / "serve.log").read_text().splitlines() if "ERROR" in line]
    print(
        f"server log: {len(errors)} ERROR lines" + (f"; first: {errors[0][:300]}" if errors else "")
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
