"""bench/analytics: a course of 500 students x 40 assignments (20,000 submissions).

Trends (`GET /courses/{id}/stats/trends`, weekly, the default range of 40 weeks) against their
floor: a bare aiohttp handler on the same app and pool running one SQL statement that does the
whole weekly aggregation in Postgres (no auth, no membership check, no preferences, no empty
weeks, no moving average). Rounds alternate between the two, so drift affects both alike; one
client at a time (latency of one request, not capacity). Also timed: at-risk, the existing
`/stats` table, and the PDF report (time, size, pages).

    .venv/bin/python -m bench.analytics        # Postgres: TEST_DATABASE_URL or 127.0.0.1:5432
    .venv/bin/python -m bench.analytics --rounds 7 --requests 200

Every figure is per round; the line gives the median and the spread (min..max) over rounds.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import uvloop
from aiohttp import web
from pypdf import PdfReader

from bench.http_load import costed, load, postgres_cpu_seconds
from bench.support import migrated_database, start_mongo
from server.app import create_app
from server.domain.tokens import issue_access_token
from server.heap import freeze_after_startup
from server.keys import JWT_SECRET, PG_POOL
from server.settings import Settings

STUDENTS, ASSIGNMENTS = 500, 40
OWNER = uuid.UUID("00000000-0000-0000-0000-000000000001")
COURSE = uuid.UUID("10000000-0000-0000-0000-000000000001")
NOW = datetime.now(UTC)
ZONE = "America/Argentina/Buenos_Aires"
PHRASES = [
    "los ejemplos prácticos ayudan mucho",
    "las tareas largas cansan",
    "great practical examples",
    "the deadlines were tight",
    "la profesora explica muy claro",
    "more feedback on exams please",
    "el material del curso es excelente",
    "clases dinámicas y entretenidas",
]

T = f"'{NOW.isoformat()}'::timestamptz"  # "now" for the seed
SEED = f"""
INSERT INTO users (id, email, name, email_verified, status, created_at, updated_at)
SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid,
       'u' || g || '@bench.test', 'Student ' || lpad(g::text, 4, '0'), true, 'active', {T}, {T}
FROM generate_series(1, {STUDENTS + 1}) g;

INSERT INTO courses (id, owner_id, title, category, level, modality, capacity, seats_taken,
                     starts_on, ends_on, enroll_until, created_at, updated_at)
VALUES ('{COURSE}', '{OWNER}', 'Bench: Intro to Astronomy', 'science', 'beginner', 'online',
        1000, {STUDENTS}, ({T} - interval '300 days')::date, ({T} + interval '30 days')::date,
        ({T} - interval '290 days')::date, {T}, {T});

INSERT INTO course_members (course_id, user_id, role, status, joined_at, updated_at)
SELECT '{COURSE}', id, CASE WHEN id = '{OWNER}' THEN 'owner' ELSE 'student' END, 'active',
       {T} - interval '300 days', {T} FROM users;

-- One assignment a week, the last due yesterday.
INSERT INTO assignments (id, course_id, kind, title, due_at, grace_minutes, accept_late,
                         penalty_percent_per_day, max_attempts, questions, max_score, created_by,
                         published_at, created_at, updated_at)
SELECT ('20000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid, '{COURSE}', 'task',
       'Task ' || g, {T} - interval '1 day' - (({ASSIGNMENTS} - g) * interval '7 days'),
       10, true, 0, 1, '[]', 10, '{OWNER}', {T} - interval '300 days',
       {T} - interval '300 days', {T}
FROM generate_series(1, {ASSIGNMENTS}) g;

-- About 90 % handed in, one in six late; grades drift down for every fifth student.
INSERT INTO submissions (id, assignment_id, course_id, student_id, attempt, latest, answers,
                         submitted_at, late, seconds_late, penalty_percent, auto_score,
                         needs_review, question_results, score, published_score,
                         grade_published_at)
SELECT gen_random_uuid(), a.id, a.course_id, m.user_id, 1, true, '[]',
       a.due_at - interval '1 hour', (k + g) % 6 = 0, 0, 0, 0, false, '[]', sc, sc, a.due_at
FROM generate_series(1, {ASSIGNMENTS}) g
JOIN assignments a ON a.id = ('20000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid
JOIN LATERAL generate_series(2, {STUDENTS + 1}) k ON true
JOIN course_members m
  ON m.user_id = ('00000000-0000-0000-0000-' || lpad(to_hex(k), 12, '0'))::uuid
JOIN LATERAL (SELECT greatest(0, least(10, 4 + (k * 13 + g * 7) % 7
                     - CASE WHEN k % 5 = 0 THEN g / 8 ELSE 0 END))::numeric AS sc) s ON true
WHERE (k * 7 + g * 3) % 10 <> 0;

INSERT INTO course_feedback (course_id, student_id, rating, comment, created_at, updated_at)
SELECT '{COURSE}', user_id, 1 + n % 5,
       (ARRAY{PHRASES!r})[1 + n % 8] || '. ' || (ARRAY{PHRASES!r})[1 + (n / 8) % 8] || '.',
       {T} - n * interval '1 minute', {T}
FROM (SELECT user_id, (row_number() OVER (ORDER BY user_id))::int AS n
      FROM course_members WHERE role = 'student') s;
ANALYZE;
"""

# The floor: the weekly aggregation done entirely by Postgres in one statement.
FLOOR_SQL = """
WITH n AS (
    SELECT count(*) AS students FROM course_members
    WHERE course_id = $1 AND role = 'student' AND status <> 'removed'
), a AS (
    SELECT id, max_score::float8 AS max_score, date_trunc('week', due_at AT TIME ZONE $2) AS week
    FROM assignments WHERE course_id = $1 AND published_at IS NOT NULL AND deleted_at IS NULL
    AND due_at <= $3
), s AS (
    SELECT s.assignment_id, count(*) AS submitted, count(*) FILTER (WHERE NOT s.late) AS on_time,
           count(*) FILTER (WHERE s.late) AS late, count(s.published_score) AS graded,
           sum(s.published_score)::float8 AS score_sum
    FROM submissions s JOIN course_members m
    ON m.course_id = s.course_id AND m.user_id = s.student_id
    WHERE s.course_id = $1 AND s.latest AND m.role = 'student' AND m.status <> 'removed'
    GROUP BY s.assignment_id
)
SELECT a.week::text AS week, count(*) AS assignments,
       sum(100 * s.score_sum / a.max_score) / nullif(sum(s.graded), 0) AS average_percent,
       sum(s.submitted)::float8 / nullif(count(*) * n.students, 0) AS submission_rate,
       sum(s.on_time)::float8 / nullif(count(*) * n.students, 0) AS on_time_rate,
       sum(s.late)::int AS late_count
FROM a CROSS JOIN n LEFT JOIN s ON s.assignment_id = a.id
GROUP BY a.week, n.students ORDER BY a.week
"""


async def floor_handler(request: web.Request) -> web.Response:
    async with request.app[PG_POOL].acquire() as conn:
        rows = await conn.fetch(FLOOR_SQL, COURSE, ZONE, datetime.now(UTC))
    return web.json_response([dict(r) for r in rows])


def spread(values: list[float], unit: str, digits: int = 2) -> str:
    return (
        f"{statistics.median(values):.{digits}f} {unit} "
        f"({min(values):.{digits}f}..{max(values):.{digits}f})"
    )


async def pdf_round(url: str, token: str, count: int, database: str) -> dict:
    """`count` PDFs one after the other: wall time each, CPU of this process (the server; the
    client's share is small) and of Postgres, and the last one's size and pages."""
    server0, pg0, times = time.process_time(), postgres_cpu_seconds(database), []
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        for _ in range(count):
            t0 = time.perf_counter()
            async with session.get(url) as resp:
                body = await resp.read()
                assert resp.status == 200, body[:300]
            times.append(time.perf_counter() - t0)
    server_ms = (time.process_time() - server0) * 1000 / count
    pg_ms = (postgres_cpu_seconds(database) - pg0) * 1000 / count
    return {
        "ms": statistics.median(times) * 1000,
        "server_cpu_ms": server_ms,
        "pg_cpu_ms": pg_ms,
        "bytes": len(body),
        "pages": len(PdfReader(io.BytesIO(body)).pages),  # after the CPU was read
    }


async def measure(dsn: str, mongo_url: str, data_dir: Path, args: argparse.Namespace) -> None:
    settings = Settings(
        _env_file=None,
        database_url=dsn,
        data_dir=data_dir,
        log_level="error",
        jwt_secret="bench-" + "x" * 40,
        mongodb_url=mongo_url,
    )  # type: ignore[call-arg]
    database = urlsplit(dsn).path.lstrip("/")  # Postgres CPU: this database's backends only
    app = create_app(settings)
    app.router.add_get("/floor/trends", floor_handler)
    app.on_startup.append(freeze_after_startup)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        token = issue_access_token(
            secret=app[JWT_SECRET], user_id=OWNER, token_version=0, now=datetime.now(UTC),
            ttl=timedelta(hours=2),
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        api = f"{base}/api/v1/courses/{COURSE}"
        targets = {
            "floor (bare SQL)": f"{base}/floor/trends",
            "trends": f"{api}/stats/trends",
            "at-risk": f"{api}/stats/at-risk",
            "stats table": f"{api}/stats",
        }
        for url in targets.values():  # warm the pool, the caches and both code paths
            await load(url, token, requests=20, concurrency=1)
        results: dict[str, list[dict]] = {label: [] for label in targets}
        for _ in range(args.rounds):
            for label, url in targets.items():
                loadgen = partial(load, url, token, requests=args.requests, concurrency=1)
                results[label].append(await costed(loadgen, database=database))
        print(f"one client, {args.requests} requests per round, {args.rounds} rounds")
        for label, runs in results.items():
            print(
                f"  {label:17} p50 {spread([r['p50_ms'] for r in runs], 'ms')}   "
                f"CPU/request: server {spread([r['server_cpu_ms'] for r in runs], 'ms')}, "
                f"Postgres {spread([r['pg_cpu_ms'] for r in runs], 'ms')}   "
                f"errors {sum(r['errors'] for r in runs)}"
            )
        ratios = [
            t["p50_ms"] / f["p50_ms"]
            for t, f in zip(results["trends"], results["floor (bare SQL)"], strict=True)
        ]
        print(f"  trends / floor, p50 per round: {spread(ratios, 'x')}  (goal <= 2x)")
        cpu = [
            (t["server_cpu_ms"] + t["pg_cpu_ms"]) / (f["server_cpu_ms"] + f["pg_cpu_ms"])
            for t, f in zip(results["trends"], results["floor (bare SQL)"], strict=True)
        ]
        print(f"  trends / floor, CPU (server + Postgres) per round: {spread(cpu, 'x')}")
        pdf = f"{api}/stats/export?format=pdf"
        await pdf_round(pdf, token, 1, database)  # warm-up
        runs = [await pdf_round(pdf, token, args.pdfs, database) for _ in range(args.rounds)]
        print(
            f"PDF report ({args.pdfs} per round, one at a time): "
            f"{spread([r['ms'] for r in runs], 'ms', 0)} per report, "
            f"{runs[-1]['bytes'] / 1024:.0f} KiB, {runs[-1]['pages']} pages; CPU per report: "
            f"this process {spread([r['server_cpu_ms'] for r in runs], 'ms', 0)}, "
            f"Postgres {spread([r['pg_cpu_ms'] for r in runs], 'ms', 0)}"
        )
    finally:
        await runner.cleanup()


async def main(args: argparse.Namespace) -> None:
    async with migrated_database() as dsn:
        conn = await asyncpg.connect(dsn)
        t0 = time.perf_counter()
        await conn.execute(SEED)
        work = await conn.fetchval("SELECT count(*) FROM submissions")
        print(
            f"seeded {STUDENTS} students, {ASSIGNMENTS} assignments, {work} submissions in "
            f"{time.perf_counter() - t0:.1f}s; load average {os.getloadavg()[0]:.1f}"
        )
        print("EXPLAIN ANALYZE of the floor (last lines):")
        plan = await conn.fetch("EXPLAIN (ANALYZE, COSTS OFF) " + FLOOR_SQL, COURSE, ZONE, NOW)
        for row in plan[-2:]:
            print("   ", row[0])
        await conn.close()
        with tempfile.TemporaryDirectory() as tmp:
            mongo, mongo_url = start_mongo(Path(tmp))
            try:
                await measure(dsn, mongo_url, Path(tmp), args)
            finally:
                mongo.kill()
                mongo.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="analytics of a 500 x 40 course")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=100, help="per round and target")
    parser.add_argument("--pdfs", type=int, default=3, help="PDF reports per round")
    args = parser.parse_args()
    uvloop.run(main(args))
