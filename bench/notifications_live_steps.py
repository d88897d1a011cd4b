"""The steps of `bench.notifications --phases live` (bench/notifications_live.py): seeding,
publishing on schedule, waiting for the server to drain, the bare WebSocket floor, CPU."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg
import psutil

from bench.http_load import postgres_cpu_seconds
from bench.workers import tree_cpu_seconds
from server.domain.tokens import issue_access_token

SECRET = "bench-notif-" + "n" * 40
API = "/api/v1"
PUBLISHED, CREATED = "assignment.published", "notification.created"


def token(user: uuid.UUID) -> str:
    now = datetime.now(UTC)
    return issue_access_token(
        secret=SECRET, user_id=user, token_version=0, now=now, ttl=timedelta(hours=3)
    )


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


async def seed(dsn: str, students: int) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    """A teacher and `students` active students of one course, in SQL."""
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    teacher, course = uuid.uuid4(), uuid.uuid4()
    ids = [uuid.uuid4() for _ in range(students)]
    await conn.executemany(
        "INSERT INTO users (id, email, name, email_verified, created_at, updated_at) "
        "VALUES ($1, $2, $3, true, $4, $4)",
        [(u, f"{u.hex}@bench.test", f"Student {n}", now) for n, u in enumerate([teacher, *ids])],
    )
    await conn.execute(
        "INSERT INTO courses (id, owner_id, title, category, level, modality, capacity, "
        "starts_on, ends_on, enroll_until, created_at, updated_at) VALUES ($1, $2, 'Bench', "
        "'bench', 'beginner', 'online', 10000, $3, $4, $3, $5, $5)",
        course, teacher, (now + timedelta(days=30)).date(), (now + timedelta(days=90)).date(),
        now,
    )  # fmt: skip
    await conn.executemany(
        "INSERT INTO course_members (course_id, user_id, role, status, joined_at, updated_at) "
        "VALUES ($1, $2, $3, 'active', $4, $4)",
        [(course, u, "owner" if u == teacher else "student", now) for u in [teacher, *ids]],
    )
    await conn.close()
    return teacher, course, ids


async def drafts(session: aiohttp.ClientSession, url: str, course: uuid.UUID, n: int) -> list[str]:
    task = {"kind": "task", "title": "Weekly task", "max_attempts": 1,
            "questions": [{"id": "q", "kind": "text", "prompt": "Explain.", "points": 5}],
            "due_at": (datetime.now(UTC) + timedelta(days=7)).isoformat()}  # fmt: skip
    out = []
    for i in range(n):
        async with session.post(f"{url}{API}/courses/{course}/assignments",
                                json={**task, "title": f"Task {i}"}) as r:  # fmt: skip
            assert r.status == 201, await r.text()
            out.append((await r.json())["id"])
    return out


async def publish_paced(session: aiohttp.ClientSession, url: str, ids: list[str],
                        rate: float) -> dict[str, tuple[float, float]]:  # fmt: skip
    """Publish each at its time; per id, when the call was sent and when it answered."""
    sent: dict[str, tuple[float, float]] = {}

    async def one(assignment: str) -> None:
        t0 = time.time()
        async with session.post(f"{url}{API}/assignments/{assignment}/publish") as r:
            assert r.status == 200, await r.text()
        sent[assignment] = (t0, time.time())

    loop = asyncio.get_running_loop()
    start, tasks = loop.time(), []
    for n, assignment in enumerate(ids):
        await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
        tasks.append(asyncio.create_task(one(assignment)))
    await asyncio.gather(*tasks)
    return sent


async def wait_drained(conn: asyncpg.Connection, ids: list[str], expected: int) -> float:
    """Until every `notification.created` of `ids` is recorded and relayed, and nothing else is
    waiting (outbox relayed, every consumer caught up: the inbox's and the deliveries'). Seconds
    it took."""
    started = time.monotonic()
    while time.monotonic() - started < 600:
        await asyncio.sleep(0.25)
        idle = await conn.fetchval(
            "SELECT NOT EXISTS (SELECT 1 FROM outbox WHERE relayed_at IS NULL) AND "
            "(SELECT min(relay_seq) FROM consumer_offsets) = "
            "(SELECT coalesce(max(relay_seq), 0) FROM outbox)"
        )
        if not idle:
            continue
        relayed = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE type = $1 AND relayed_at IS NOT NULL "
            "AND data->'data'->>'assignment_id' = ANY($2::text[])",
            CREATED,
            ids,
        )
        if relayed >= expected:
            return time.monotonic() - started
    raise TimeoutError("not drained in 600 s")


async def stages(conn: asyncpg.Connection, sent: dict[str, tuple[float, float]]) -> dict:
    """Median over the publishes of when each step was done, in ms after the call was sent."""
    rows = await conn.fetch(
        "SELECT coalesce(data->'data'->>'assignment_id', data->>'assignment_id') AS a, type, "
        "min(occurred_at) AS first_at, max(relayed_at) AS relayed FROM outbox "
        "WHERE type IN ($1, $2) AND coalesce(data->'data'->>'assignment_id', "
        "data->>'assignment_id') = ANY($3::text[]) GROUP BY 1, 2",
        PUBLISHED, CREATED, list(sent),
    )  # fmt: skip
    # Server stamps: the use case's `now` (before its commit), the relay's mark (after it
    # published, before it commits), the consumer batch's `now`, the last mark of the batch's
    # notification.created rows; and when the REST call answered.
    names = {PUBLISHED: ("use case", "course event relayed"),
             CREATED: ("consumer batch began", "last created relayed")}  # fmt: skip
    steps: dict[str, list[float]] = {name: [] for pair in names.values() for name in pair}
    for r in rows:
        t0 = sent[r["a"]][0]
        began, relayed = names[r["type"]]
        steps[began].append(r["first_at"].timestamp() - t0)
        steps[relayed].append(r["relayed"].timestamp() - t0)
    steps["REST answered"] = [t1 - t0 for t0, t1 in sent.values()]
    return {k: round(statistics.median(v) * 1000, 1) for k, v in steps.items() if v}


def spawn_clients(url: str, tokens: list[str], procs: int, expect: int,
                  deadline: float) -> list[subprocess.Popen]:  # fmt: skip
    out = []
    for i in range(procs):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(tokens[i::procs], f)
        out.append(subprocess.Popen(
            [sys.executable, "-m", "bench.notification_clients", "--url", url, "--tokens-file",
             f.name, "--expect", str(expect), "--deadline", str(deadline)],
            stdout=subprocess.PIPE, text=True,
        ))  # fmt: skip
    for g in out:
        json.loads(g.stdout.readline())  # connected
    return out


def bare_floor(floor_url: str, clients: int, events: int, rate: float, procs: int) -> list[float]:
    """The realtime bench's paced floor: its own clients (bench/realtime/clients.py) receive
    `events` frames broadcast at `rate`; latencies in seconds."""
    per = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    gens = [subprocess.Popen(
        [sys.executable, "-m", "bench.realtime.clients", "--mode", "floor", "--url", floor_url,
         "--count", str(n), "--expect", str(events), "--deadline", str(events / rate + 60)],
        stdout=subprocess.PIPE, text=True) for n in per]  # fmt: skip
    for g in gens:
        json.loads(g.stdout.readline())
    time.sleep(1)
    broadcast = f"{floor_url}/broadcast?n={events}&rate={rate}"
    urllib.request.urlopen(
        urllib.request.Request(broadcast, method="POST"), timeout=events / rate + 60
    )
    latencies: list[float] = []
    for g in gens:
        latencies += json.loads(g.stdout.readline())["latencies"]
        g.wait(60)
    return latencies


class Cpu:
    """CPU seconds since `start()` of the server's process tree, Mongo and our Postgres."""

    def __init__(self, server_pid: int, mongo_pid: int, database: str) -> None:
        self.server, self.mongo, self.database = server_pid, psutil.Process(mongo_pid), database

    def _now(self) -> tuple[float, float, float]:
        mongo = self.mongo.cpu_times()
        return (tree_cpu_seconds(self.server), mongo.user + mongo.system,
                postgres_cpu_seconds(self.database))  # fmt: skip

    def start(self) -> None:
        self.t0 = self._now()

    def stop(self) -> tuple[float, float, float]:
        return tuple(b - a for a, b in zip(self.t0, self._now(), strict=True))  # type: ignore[return-value]


async def settle(db, limit: float = 120) -> None:
    """Until no delivery waits (the pushes held for the online students' grace); says so when
    some still wait after `limit` seconds (the next run then shares the machine with them)."""
    started = time.monotonic()
    while True:
        waiting = await db.notification_deliveries.count_documents(
            {"status": {"$in": ["queued", "sending"]}}
        )
        if not waiting:
            return
        if time.monotonic() - started > limit:
            print(f"settle: {waiting} deliveries still waiting after {limit:.0f} s", flush=True)
            return
        await asyncio.sleep(2)


def profile(args: argparse.Namespace, run: int, pids: dict[str, int]) -> list[subprocess.Popen]:
    """With --profile DIR, py-spy samples the server and Mongo through each run (raw collapsed
    stacks, DIR/{server,mongo}-{run}.txt); it costs CPU, so the figures suffer."""
    if not args.profile:
        return []
    seconds = str(int(args.publishes / args.rate) + 5)
    return [subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--duration", seconds,
                              "--format", "raw", "--nonblocking", "-o",
                              str(Path(args.profile) / f"{name}-{run + 1}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, pid in pids.items()]  # fmt: skip
