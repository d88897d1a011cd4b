"""An exam closing: N students (300) hand in within the same second.

This process is only the load generator. The server is a real `classconnect serve` child on
loopback, on a throwaway database created on the Postgres at --admin-url (default: the one on
127.0.0.1:5432) and a SecantusDB Mongo-wire server in its own process. Students are inserted
straight into `users` (argon2 sign-ups are not what we measure); the course, enrollments, the
exam and each student's timed attempt go through the real API. Then every student submits
once, with an Idempotency-Key: first all at the same instant (the worst case), then, on a
second exam, each at a random moment of the same second. After each, every request is retried
with the same key, as flaky mobile networks do. Checks: every submission accepted,
every student stored exactly once, every retry answered with the same body. Bounded by count
and time; loopback only.

    python -m bench.exam_close [--students 300] [--pool 20] [--admin-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg

from bench.auth import free_port, pct, wait_ready
from bench.support import start_mongo, with_database
from server.domain.tokens import issue_access_token

SECRET = "bench-exam-" + "s" * 40
API = "/api/v1"


def token(user_id: uuid.UUID) -> dict[str, str]:
    now = datetime.now(UTC)
    tok = issue_access_token(
        secret=SECRET, user_id=user_id, token_version=0, now=now, ttl=timedelta(hours=1)
    )
    return {"Authorization": f"Bearer {tok}"}


async def seed_users(dsn: str, count: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    now = datetime.now(UTC)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.executemany(
            "INSERT INTO users (id, email, name, email_verified, status, created_at, updated_at) "
            "VALUES ($1, $2, $3, true, 'active', $4, $4)",
            [(u, f"s{i}@bench.test", f"Student {i}", now) for i, u in enumerate(ids)],
        )
    finally:
        await conn.close()
    return ids


async def ok(resp: aiohttp.ClientResponse, status: int) -> dict:
    body = await resp.json()
    assert resp.status == status, (resp.status, body)
    return body


async def setup(session, url: str, owner, students) -> str:
    today = datetime.now(UTC).date()
    course = {
        "title": "Exam bench",
        "category": "bench",
        "level": "beginner",
        "modality": "online",
        "capacity": len(students) + 10,
        "starts_on": str(today),
        "ends_on": str(today + timedelta(30)),
        "enroll_until": str(today + timedelta(10)),
    }
    async with session.post(url + f"{API}/courses", json=course, headers=token(owner)) as r:
        course_id = (await ok(r, 201))["id"]
    sem = asyncio.Semaphore(20)

    async def each(path: str, user, status: int) -> None:
        async with sem, session.post(url + path, headers=token(user)) as r:
            await ok(r, status)

    await asyncio.gather(
        *(each(f"{API}/courses/{course_id}/enrollments", s, 201) for s in students)
    )
    exam = {
        "kind": "exam",
        "title": "Final exam",
        "due_at": (datetime.now(UTC) + timedelta(minutes=20)).isoformat(),
        "time_limit_minutes": 15,
        "questions": [
            {
                "id": f"q{i}",
                "kind": "multiple_choice",
                "prompt": f"Question {i}",
                "options": ["a", "b", "c", "d"],
                "correct": i % 4,
                "points": 1,
            }
            for i in range(20)
        ]
        + [{"id": "essay", "kind": "text", "prompt": "Explain.", "points": 5}],
    }
    async with session.post(
        url + f"{API}/courses/{course_id}/assignments", json=exam, headers=token(owner)
    ) as r:
        exam_id = (await ok(r, 201))["id"]
    async with session.post(
        url + f"{API}/assignments/{exam_id}/publish", headers=token(owner)
    ) as r:
        await ok(r, 200)
    await asyncio.gather(*(each(f"{API}/assignments/{exam_id}/attempts", s, 201) for s in students))
    return exam_id


def answers(i: int) -> dict:
    chosen = [{"question_id": f"q{q}", "choice": (q + i) % 4} for q in range(20)]
    return {"answers": [*chosen, {"question_id": "essay", "text": f"Essay of student {i}. " * 20}]}


async def burst(
    session, url: str, exam_id: str, students, keys, spread: float
) -> tuple[list, list, float]:
    """Every student submits once: all at the same instant (spread 0), or each at a random
    moment of the same `spread`-second window. Latency is from each request's own send."""
    go = asyncio.Event()
    offsets = random.Random(7).sample(range(len(students)), len(students))
    latencies: list[float] = []
    bodies: list[bytes] = [b""] * len(students)

    async def one(i: int, user) -> None:
        headers = {**token(user), "Idempotency-Key": keys[i]}
        await go.wait()
        await asyncio.sleep(spread * offsets[i] / len(students))
        started = time.perf_counter()
        async with session.post(
            url + f"{API}/assignments/{exam_id}/submissions", json=answers(i), headers=headers
        ) as r:
            bodies[i] = await r.read()
            assert r.status == 201, (r.status, bodies[i][:300])
        latencies.append(time.perf_counter() - started)

    tasks = [asyncio.create_task(one(i, s)) for i, s in enumerate(students)]
    await asyncio.sleep(0.2)  # every request built and waiting at the gate
    started = time.perf_counter()
    go.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    return latencies, bodies, time.perf_counter() - started


async def load(args, url: str, proc, dsn: str) -> None:
    connector = aiohttp.TCPConnector(limit=args.students + 10)
    print(f"CPUs: {os.cpu_count()}; server pool {args.pool}; {args.students} students")
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        await wait_ready(session, url, proc, limit_s=120)
        owner, *students = await seed_users(dsn, args.students + 1)
        phases = [("all at the same instant", 0.0), ("spread over the same second", 1.0)]
        failed = False
        for name, spread in phases:
            exam_id = await setup(session, url, owner, students)
            keys = [str(uuid.uuid4()) for _ in students]
            lat, bodies, elapsed = await burst(session, url, exam_id, students, keys, spread)
            retry_lat, retried, retry_s = await burst(session, url, exam_id, students, keys, 0)
            conn = await asyncpg.connect(dsn)
            try:
                stored, distinct = await conn.fetchrow(
                    "SELECT count(*), count(DISTINCT student_id) FROM submissions "
                    "WHERE assignment_id = $1",
                    uuid.UUID(exam_id),
                )
            finally:
                await conn.close()
            same = sum(a == b for a, b in zip(bodies, retried, strict=True))
            print(
                f"{name}: {len(lat)} accepted in {elapsed * 1000:.0f} ms = "
                f"{len(lat) / elapsed:.0f} submissions/s; p50 {pct(lat, 0.5):.1f} ms, "
                f"p99 {pct(lat, 0.99):.1f} ms, max {max(lat) * 1000:.1f} ms"
            )
            print(
                f"  retries with the same keys: {same}/{len(students)} identical bodies in "
                f"{retry_s * 1000:.0f} ms (p99 {pct(retry_lat, 0.99):.1f} ms); stored {stored} "
                f"submissions from {distinct} students"
            )
            failed = failed or not (stored == distinct == len(students) == same)
    if failed:
        raise SystemExit("FAILED: not every submission stored exactly once")


def main(args: argparse.Namespace) -> None:
    name = f"cc_bench_exam_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(args.admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    data_dir = Path(tempfile.mkdtemp(prefix="cc-bench-exam-"))
    port = free_port()
    dsn = with_database(args.admin_url, name)
    mongo, mongo_url = start_mongo(data_dir)
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "error",
        "JWT_SECRET": SECRET,
        "DATABASE_URL": dsn,
        "DB_POOL_MAX": str(args.pool),
        "MONGODB_URL": mongo_url,
    }
    with (data_dir / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                *(["-m", "cProfile", "-o", args.profile] if args.profile else []),
                "-m",
                "server.cli",
                "serve",
            ],
            env=env,
            stdout=log,
            stderr=log,
        )
    try:
        asyncio.run(load(args, f"http://127.0.0.1:{port}", proc, dsn))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
        mongo.kill()
        mongo.wait()
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(f"server log: {data_dir / 'server.log'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--pool", type=int, default=20)
    parser.add_argument("--profile", default=None, help="write the server's cProfile here")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    main(parser.parse_args())
