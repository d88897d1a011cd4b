"""bench/forum: a course's thread list searched with `q`, against its floor.

Seeds one course with 2,000 members and 100,000 posts (20,000 questions, 80,000 answers; one
thread in 20 private) into a fresh Postgres database, in SQL. Bodies draw words from a 400-word
Spanish/English vocabulary, so one word matches about 3% of the posts. Serves the real app on a
loopback port beside a bare aiohttp handler running the same SQL
(`server.stores.forum_threads.thread_list_query`) on the same pool: the floor. A load-generator
process drives 50 closed-loop clients against each, interleaved over several rounds, and the
figures are printed per round (p50, p99, req/s, CPU per request) with their ratio and spread.

    .venv/bin/python -m bench.forum                 # Postgres: TEST_DATABASE_URL or 127.0.0.1:5432
    .venv/bin/python -m bench.forum --rounds 5 --loadgen wrk
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import uvloop
from aiohttp import web

from bench.http_load import load, load_wrk
from bench.support import (
    bench_settings,
    load_against_floor,
    migrated_database,
    print_plan,
    start_mongo,
)
from server.app import create_app
from server.keys import PG_POOL
from server.stores.forum_threads import thread_list_query

CONCURRENCY = 50
REQUESTS = 1500  # per round and target (a search costs Postgres ~20 ms here)
WARM_UP_REQUESTS = 300
WRK_SECONDS = 10
COURSE = uuid.UUID("10000000-0000-0000-0000-000000000001")
VIEWER = uuid.UUID("00000000-0000-0000-0000-000000000007")  # a student: privacy filter applies
QUERY_WORD = "integral"
BASE = [
    "integral", "derivada", "límite", "función", "matriz", "vector", "álgebra", "cálculo",
    "ecuación", "gráfico", "python", "compilador", "examen", "proyecto", "entrega", "canción",
    "teoría", "práctica", "lección", "módulo", "database", "network", "install", "error",
    "question", "answer", "homework", "deadline", "lecture", "solution", "function", "loop",
]  # fmt: skip
VOCABULARY = BASE + [f"tema{i}" for i in range(400 - len(BASE))]


def _words(seed: str, count: int) -> str:
    return (
        f"(SELECT string_agg((ARRAY{VOCABULARY!r})[1 + abs(hashtext({seed} || ':' || k)) % "
        f"{len(VOCABULARY)}], ' ') FROM generate_series(1, {count}) k)"
    )


def _uuid(prefix: str, number: str) -> str:
    return f"('{prefix}-0000-0000-0000-' || lpad(to_hex({number}), 12, '0'))::uuid"


SEED = f"""
INSERT INTO users (id, email, name, email_verified, status, created_at, updated_at)
SELECT {_uuid("00000000", "g")}, 'u' || g || '@bench.test', 'User ' || g, true, 'active',
       now(), now()
FROM generate_series(1, 2000) g;

INSERT INTO courses (id, owner_id, title, category, level, modality, capacity, seats_taken,
                     starts_on, ends_on, enroll_until, created_at, updated_at)
VALUES ('{COURSE}', {_uuid("00000000", "1")}, 'Cálculo I', 'math', 'beginner', 'online',
        5000, 1999, current_date, current_date + 90, current_date, now(), now());

INSERT INTO course_members (course_id, user_id, role, status, joined_at, updated_at)
SELECT '{COURSE}', {_uuid("00000000", "g")}, CASE WHEN g = 1 THEN 'owner' ELSE 'student' END,
       'active', now(), now()
FROM generate_series(1, 2000) g;

INSERT INTO forum_threads (id, course_id, author_id, private, tags, answer_count, score,
                           last_activity_at, created_at)
SELECT {_uuid("20000000", "t")}, '{COURSE}', {_uuid("00000000", "2 + t % 1999")}, t % 20 = 0,
       ARRAY['week-' || (t % 12)], 4, t % 7, now() - make_interval(secs => t),
       now() - make_interval(secs => t * 2)
FROM generate_series(1, 20000) t;

INSERT INTO forum_posts (id, thread_id, course_id, kind, author_id, anonymous, title, body,
                         upvotes, created_at)
SELECT {_uuid("20000000", "t")}, {_uuid("20000000", "t")}, '{COURSE}', 'question',
       {_uuid("00000000", "2 + t % 1999")}, t % 5 = 0, {_words("'q' || t", 5)},
       {_words("'b' || t", 12)}, t % 7, now() - make_interval(secs => t * 2)
FROM generate_series(1, 20000) t;

INSERT INTO forum_posts (id, thread_id, course_id, kind, author_id, body, created_at)
SELECT {_uuid("30000000", "t * 4 + k")}, {_uuid("20000000", "t")}, '{COURSE}', 'answer',
       {_uuid("00000000", "2 + (t + k) % 1999")}, {_words("'a' || t || ':' || k", 12)},
       now() - make_interval(secs => t)
FROM generate_series(1, 20000) t, generate_series(0, 3) k;
ANALYZE;
"""

LIST_ARGS: dict[str, Any] = {
    "course_id": COURSE,
    "viewer_id": VIEWER,
    "staff": False,
    "tag": None,
    "module_id": None,
    "unanswered": False,
    "sort": "relevance",
    "after": None,
    "limit": 21,
}


async def floor_handler(request: web.Request) -> web.Response:
    """The same SQL on the same pool, no auth, no membership check, no pydantic."""
    text, args = thread_list_query(q=request.query["q"], **LIST_ARGS)
    async with request.app[PG_POOL].acquire() as conn:
        rows = await conn.fetch(text, *args)
    return web.json_response([dict(r) for r in rows], dumps=lambda o: json.dumps(o, default=str))


async def measure(
    dsn: str, mongo_url: str, data_dir: Path, loadgen: Any, rounds: int
) -> dict[str, list[dict]]:
    app = create_app(bench_settings(dsn, mongo_url, data_dir))
    app.router.add_get("/floor/threads", floor_handler)
    return await load_against_floor(
        app,
        viewer=VIEWER,
        paths={
            "floor": f"/floor/threads?q={QUERY_WORD}",
            "ours": f"/api/v1/courses/{COURSE}/forum/threads?q={QUERY_WORD}&limit=20",
        },
        loadgen=loadgen,
        rounds=rounds,
        warm_up=WARM_UP_REQUESTS,
        concurrency=CONCURRENCY,
    )


def report(results: dict[str, list[dict]]) -> None:
    for label, runs in results.items():
        print(f"  {label}:")
        for i, r in enumerate(runs, 1):
            print(
                f"    round {i}: p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms  "
                f"{r['rps']:6.0f} req/s  CPU/request server {r['server_cpu_ms']:.3f} ms, "
                f"Postgres {r['pg_cpu_ms']:.3f} ms  errors {r['errors']}"
            )
    for metric in ("p50_ms", "p99_ms", "rps"):
        ratios = [
            o[metric] / f[metric] for o, f in zip(results["ours"], results["floor"], strict=True)
        ]
        if metric == "rps":
            ratios = [1 / r for r in ratios]  # floor/ours: above 1 means we serve fewer
        spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
        name = "throughput (floor/ours)" if metric == "rps" else metric[:-3]
        print(
            f"  ours/floor {name}: median {statistics.median(ratios):.2f}, "
            f"per round {spread} (goal <= 1.3)"
        )
    cpu = [
        o["server_cpu_ms"] - f["server_cpu_ms"]
        for o, f in zip(results["ours"], results["floor"], strict=True)
    ]
    print(f"  server CPU added per request: {', '.join(f'{c:.3f}' for c in cpu)} ms")


async def main(args: argparse.Namespace) -> None:
    if args.loadgen == "wrk":
        loadgen = partial(load_wrk, seconds=WRK_SECONDS, concurrency=CONCURRENCY)
    else:
        loadgen = partial(load, requests=REQUESTS, concurrency=CONCURRENCY)
    async with migrated_database() as dsn:
        conn = await asyncpg.connect(dsn)
        t0 = time.perf_counter()
        await conn.execute(SEED)
        posts = await conn.fetchval("SELECT count(*) FROM forum_posts")
        hits = await conn.fetchval(
            "SELECT count(*) FROM forum_posts WHERE search @@ forum_query($1)", QUERY_WORD
        )
        print(f"seeded {posts} posts in {time.perf_counter() - t0:.1f}s; "
              f"{hits} match q={QUERY_WORD!r}")  # fmt: skip
        text, params = thread_list_query(q=QUERY_WORD, **LIST_ARGS)
        await print_plan(conn, "the thread list with q", text, params)
        await conn.close()
        with tempfile.TemporaryDirectory() as tmp:
            mongo, mongo_url = start_mongo(Path(tmp))
            try:
                results = await measure(dsn, mongo_url, Path(tmp), loadgen, args.rounds)
            finally:
                mongo.kill()
                mongo.wait()
        how = f"wrk, {WRK_SECONDS} s" if args.loadgen == "wrk" else f"{REQUESTS} requests"
        print(f"{CONCURRENCY} closed-loop clients, {args.rounds} interleaved rounds per target "
              f"({how}; server on uvloop)")  # fmt: skip
        report(results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="GET the forum's thread list with q vs. floor")
    parser.add_argument("--loadgen", choices=("python", "wrk"), default="python")
    parser.add_argument("--rounds", type=int, default=3)
    uvloop.run(main(parser.parse_args()))
