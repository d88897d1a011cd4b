"""bench/audit: what the audit log costs. A catalog + enroll + submit mix against two real
`classconnect serve` children on the same machine, one with the audit consumer and one without
(AUDIT_CONSUMER_ENABLED), loaded in alternate rounds of the same run.

Each server has its own throwaway database (seeded alike: students in SQL; courses and their
published tasks through the API) and its own Mongo database on one SecantusDB process. A work
item is one student's GET /courses?q=, POST /courses/{id}/enrollments (a course new to them)
and POST /assignments/{id}/submissions, from CONCURRENCY closed-loop clients. Throughput is
items/s over the load (the audit consumer runs meanwhile, on the same cores; how many audit
records it still had to write when the load ended is printed); after the load, the bench waits
until the server has drained what it caused (everything relayed, every durable consumer caught
up) and reports that end-to-end rate too, before the next round starts. Reported: items/s per
round, the on/off ratio (median of rounds, with the spread of the per-round ratios), and CPU per
item of the server, Postgres and Mongo (the drain included).

    .venv/bin/python -m bench.audit [--students 2000] [--rounds 3] [--notifications]
                                    [--admin-url postgresql://...]

The servers run `bench/audit_server.py`: `serve` without the notifications consumer unless
--notifications (it costs the same with auditing on or off, and on this VM its drain is ten
times the rest of the work, which buried the difference in noise).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg
import psutil

from bench.auth import free_port, wait_ready
from bench.http_load import postgres_cpu_seconds
from bench.support import start_mongo, with_database
from server.domain.tokens import issue_access_token
from server.stores.migrations import apply_migrations

SECRET = "bench-audit-" + "s" * 40
API = "/api/v1"
CONCURRENCY = 20
HOME_COURSES = 20  # each with one published task: a student submits to their home course's
OPEN_COURSES = 40  # a student enrolls in a new one each round
TODAY = datetime.now(UTC).date()


def headers(user_id: uuid.UUID) -> dict[str, str]:
    token = issue_access_token(
        secret=SECRET, user_id=user_id, token_version=0, now=datetime.now(UTC),
        ttl=timedelta(hours=2),
    )  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


class Server:
    def __init__(
        self, label: str, dsn: str, mongo_url: str, data_dir: Path, audit: bool, notify: bool
    ):
        self.label, self.dsn, self.port = label, dsn, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": dsn, "MONGODB_URL": mongo_url,
               "MONGODB_DATABASE": f"bench_audit_{label}", "JWT_SECRET": SECRET,
               "PORT": str(self.port), "DATA_DIR": str(data_dir / label), "LOG_LEVEL": "error",
               "AUDIT_CONSUMER_ENABLED": str(audit).lower(), "REDIS_URL": "",
               "BENCH_NOTIFICATIONS": "1" if notify else "0"}  # fmt: skip
        self.log = (data_dir / f"{label}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.audit_server"], env=env, stdout=self.log,
            stderr=self.log,
        )  # fmt: skip
        self.ps = psutil.Process(self.proc.pid)

    def cpu_seconds(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)
        self.log.close()


async def ok(resp: aiohttp.ClientResponse, status: int) -> dict:
    body = await resp.json()
    assert resp.status == status, (resp.status, body)
    return body


async def seed(session: aiohttp.ClientSession, server: Server, students: list[uuid.UUID],
               owner: uuid.UUID) -> tuple[list[str], list[str]]:  # fmt: skip
    """Students in SQL; courses, tasks and home enrollments through the API."""
    conn = await asyncpg.connect(server.dsn)
    try:
        await apply_migrations(conn)
        now = datetime.now(UTC)
        await conn.executemany(
            "INSERT INTO users (id, email, name, email_verified, status, created_at, updated_at) "
            "VALUES ($1, $2, $3, true, 'active', $4, $4)",
            [(u, f"s{i}@bench.test", f"S{i}", now) for i, u in enumerate([owner, *students])],
        )  # fmt: skip
    finally:
        await conn.close()
    course = {"category": "bench", "level": "beginner", "modality": "online", "capacity": 10000,
              "starts_on": str(TODAY + timedelta(5)), "ends_on": str(TODAY + timedelta(60)),
              "enroll_until": str(TODAY + timedelta(4))}  # fmt: skip
    question = {"id": "q", "kind": "text", "prompt": "Explain.", "points": 5}
    task = {"kind": "task", "title": "Weekly task", "max_attempts": 100, "questions": [question],
            "due_at": (datetime.now(UTC) + timedelta(days=3)).isoformat()}  # fmt: skip
    home, tasks, open_ = [], [], []
    for i in range(HOME_COURSES + OPEN_COURSES):
        body = {**course, "title": f"Course about audits {i}"}
        async with session.post(server.url + f"{API}/courses", json=body,
                                headers=headers(owner)) as r:  # fmt: skip
            (home if i < HOME_COURSES else open_).append((await ok(r, 201))["id"])
    for course_id in home:
        async with session.post(server.url + f"{API}/courses/{course_id}/assignments", json=task,
                                headers=headers(owner)) as r:  # fmt: skip
            task_id = (await ok(r, 201))["id"]
        async with session.post(server.url + f"{API}/assignments/{task_id}/publish",
                                headers=headers(owner)) as r:  # fmt: skip
            await ok(r, 200)
        tasks.append(task_id)
    sem = asyncio.Semaphore(CONCURRENCY)

    async def join(i: int, student: uuid.UUID) -> None:
        async with sem, session.post(
            server.url + f"{API}/courses/{home[i % HOME_COURSES]}/enrollments",
            headers=headers(student),
        ) as r:  # fmt: skip
            await ok(r, 201)

    await asyncio.gather(*(join(i, s) for i, s in enumerate(students)))
    return tasks, open_


async def drained(dsn: str, limit_s: float = 600.0) -> None:
    """Everything relayed and every durable consumer past the head (twice in a row: a
    consumer's own events are relayed after it commits)."""
    conn = await asyncpg.connect(dsn)
    try:
        quiet, deadline = 0, time.monotonic() + limit_s
        while quiet < 2 and time.monotonic() < deadline:
            row = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM outbox WHERE relayed_at IS NULL) AS unrelayed, "
                "(SELECT coalesce(max(relay_seq), 0) FROM outbox) AS head, "
                "(SELECT min(relay_seq) FROM consumer_offsets) AS slowest"
            )
            slowest = row["head"] if row["slowest"] is None else row["slowest"]  # no consumer
            done = row["unrelayed"] == 0 and slowest >= row["head"]
            quiet = quiet + 1 if done else 0
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def round_(session, server: Server, students, tasks, open_, k: int, mongo) -> dict:
    work = list(enumerate(students))
    errors = 0

    async def client() -> None:
        nonlocal errors
        while work:
            i, student = work.pop()
            h = headers(student)
            calls = [
                ("GET", f"{API}/courses?q=audits&limit=20", None, 200),
                ("POST", f"{API}/courses/{open_[(i + k) % OPEN_COURSES]}/enrollments", None, 201),
                ("POST", f"{API}/assignments/{tasks[i % HOME_COURSES]}/submissions",
                 {"answers": [{"question_id": "q", "text": f"Answer {i}/{k}"}]}, 201),
            ]  # fmt: skip
            for method, path, body, status in calls:
                async with session.request(method, server.url + path, json=body, headers=h) as r:
                    await r.read()
                    errors += r.status != status

    cpu0, pg0, mongo0 = server.cpu_seconds(), postgres_cpu_seconds(), mongo_cpu(mongo)
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    loaded = time.perf_counter() - started
    behind = await audit_lag(server.dsn)
    await drained(server.dsn)
    elapsed = time.perf_counter() - started
    n = len(students)
    return {
        "items_per_s": n / loaded,
        "end_to_end_per_s": n / elapsed,
        "audit_behind": behind,
        "load_s": loaded,
        "drain_s": elapsed - loaded,
        "errors": errors,
        "server_ms": (server.cpu_seconds() - cpu0) * 1000 / n,
        "pg_ms": (postgres_cpu_seconds() - pg0) * 1000 / n,
        "mongo_ms": (mongo_cpu(mongo) - mongo0) * 1000 / n,
    }


async def audit_lag(dsn: str) -> int | None:
    """Audit records relayed but not yet in the log when the load ends (None: no consumer)."""
    conn = await asyncpg.connect(dsn)
    try:
        return (
            await conn.fetchval(
                "SELECT count(*) FROM outbox o, consumer_offsets c WHERE c.name = 'audit' "
                "AND o.type = 'audit.recorded' AND o.relay_seq > c.relay_seq"
            )
            if await conn.fetchval("SELECT 1 FROM consumer_offsets WHERE name = 'audit'")
            else None
        )
    finally:
        await conn.close()


def mongo_cpu(proc: subprocess.Popen) -> float:
    times = psutil.Process(proc.pid).cpu_times()
    return times.user + times.system


async def main(args: argparse.Namespace) -> None:
    names = {label: f"cc_bench_audit_{label}_{uuid.uuid4().hex[:6]}" for label in ("on", "off")}
    admin = await asyncpg.connect(args.admin_url)
    for name in names.values():
        await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    students = [uuid.uuid4() for _ in range(args.students)]
    owner = uuid.uuid4()
    servers: list[Server] = []
    with tempfile.TemporaryDirectory() as tmp:
        mongo, mongo_url = start_mongo(Path(tmp))
        try:
            async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=CONCURRENCY * 2)
            ) as session:
                for label, name in names.items():
                    dsn = with_database(args.admin_url, name)
                    servers.append(
                        Server(label, dsn, mongo_url, Path(tmp), label == "on", args.notifications)
                    )
                for server in servers:
                    await wait_ready(session, server.url, server.proc, 90)
                seeded = {}
                for server in servers:
                    seeded[server.label] = await seed(session, server, students, owner)
                    await drained(server.dsn)
                results: dict[str, list[dict]] = {"on": [], "off": []}
                for k in range(args.rounds):  # alternate, so drift affects both alike
                    order = servers if k % 2 == 0 else servers[::-1]
                    for server in order:
                        tasks, open_ = seeded[server.label]
                        result = await round_(session, server, students, tasks, open_, k, mongo)
                        results[server.label].append(result)
                        print(f"  round {k + 1} {server.label:3}: {result['items_per_s']:6.1f} "
                              f"items/s over {result['load_s']:.1f} s (audit records behind at "
                              f"the end: {result['audit_behind']}); then {result['drain_s']:.1f} "
                              f"s to drain every consumer; errors {result['errors']}")  # fmt: skip
        except BaseException:
            for server in servers:  # what the servers said, before the folder goes
                server.log.flush()
                print(
                    f"--- {server.label}.log:",
                    (Path(tmp) / f"{server.label}.log").read_text()[-3000:],
                )
            raise
        finally:
            for server in servers:
                server.stop()
            mongo.kill()
            mongo.wait()
            admin = await asyncpg.connect(args.admin_url)
            for name in names.values():
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    report(results, args)


def report(results: dict[str, list[dict]], args: argparse.Namespace) -> None:
    ratios = [on["items_per_s"] / off["items_per_s"]
              for on, off in zip(results["on"], results["off"], strict=True)]  # fmt: skip
    print(f"{args.students} items per round (catalog + enroll + submit), {CONCURRENCY} clients, "
          f"{args.rounds} rounds per server on {os.cpu_count()} cores, notifications "
          f"{'on' if args.notifications else 'off'}")  # fmt: skip
    for label, runs in results.items():
        rates = [r["items_per_s"] for r in runs]
        ends = [r["end_to_end_per_s"] for r in runs]
        cpu = {k: statistics.median(r[k] for r in runs) for k in ("server_ms", "pg_ms", "mongo_ms")}
        print(f"  audit {label:3}: {statistics.median(rates):6.1f} items/s "
              f"(rounds {', '.join(f'{x:.1f}' for x in rates)}); CPU per item: server "
              f"{cpu['server_ms']:.2f} ms, Postgres {cpu['pg_ms']:.2f} ms, "
              f"Mongo {cpu['mongo_ms']:.2f} ms; end to end (drained) "
              f"{statistics.median(ends):.1f} items/s")  # fmt: skip
    print(f"  throughput ratio on/off: {statistics.median(ratios):.3f} "
          f"(per round {min(ratios):.3f}-{max(ratios):.3f}; goal >= 0.85)")  # fmt: skip
    drained_ratios = [on["end_to_end_per_s"] / off["end_to_end_per_s"]
                      for on, off in zip(results["on"], results["off"], strict=True)]  # fmt: skip
    print(f"  end-to-end ratio on/off: {statistics.median(drained_ratios):.3f} "
          f"(per round {min(drained_ratios):.3f}-{max(drained_ratios):.3f})")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--notifications", action="store_true", help="run the notifications consumer too"
    )
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    asyncio.run(main(parser.parse_args()))
