"""Accounts under load: password logins per second (argon2id at the configured cost) and the
latency of `GET /api/v1/users/me` under 100 concurrent clients.

This process is only the load generator: the server is a real `classconnect serve` child on
loopback (embedded Postgres and Mongo in a temporary DATA_DIR unless --database-url is given),
with the rate limits raised so they do not cap the measurement. Users are created through the
real API (register, PIN from the email outbox, verify). Everything is bounded by count and time.

    python -m bench.auth [--users 200] [--login-seconds 10] [--login-concurrency 8]
                         [--me-requests 20000] [--me-concurrency 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

PASSWORD = "bench password 1234"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def wait_ready(session: aiohttp.ClientSession, url: str, proc, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited early; see its log")
        try:
            async with session.get(url + "/readyz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit(f"server not ready in {limit_s}s")


def pins(outbox: Path) -> dict[str, str]:
    found = {}
    for path in outbox.glob("*.json"):
        try:
            mail = json.loads(path.read_text())
        except ValueError:
            continue  # being written
        if mail.get("template") == "verify_email":
            found[mail["to"]] = mail["params"]["pin"]
    return found


async def seed(session: aiohttp.ClientSession, url: str, outbox: Path, count: int) -> list[str]:
    emails = [f"bench{i}@example.com" for i in range(count)]
    sem = asyncio.Semaphore(8)

    async def register(email: str) -> None:
        async with sem:
            body = {"email": email, "password": PASSWORD, "name": f"Bench {email[5:-12]}"}
            async with session.post(url + "/api/v1/auth/register", json=body) as resp:
                assert resp.status == 202, await resp.text()

    await asyncio.gather(*(register(e) for e in emails))
    deadline = time.monotonic() + 60
    while len(found := pins(outbox)) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(found)} of {count} PIN emails arrived")
        await asyncio.sleep(0.2)

    async def verify(email: str) -> None:
        async with sem:
            body = {"email": email, "pin": found[email]}
            async with session.post(url + "/api/v1/auth/verify-email", json=body) as resp:
                assert resp.status == 200, await resp.text()

    await asyncio.gather(*(verify(e) for e in emails))
    return emails


async def bench_logins(
    session: aiohttp.ClientSession, url: str, emails: list[str], seconds: float, workers: int
) -> tuple[list[float], str]:
    latencies: list[float] = []
    tokens: list[str] = []
    stop = time.monotonic() + seconds

    async def worker(offset: int) -> None:
        i = offset
        while time.monotonic() < stop:
            body = {"email": emails[i % len(emails)], "password": PASSWORD}
            started = time.perf_counter()
            async with session.post(url + "/api/v1/auth/login", json=body) as resp:
                data = await resp.json()
                assert resp.status == 200, data
            latencies.append(time.perf_counter() - started)
            if len(tokens) < 1:
                tokens.append(data["access_token"])
            i += workers

    await asyncio.gather(*(worker(w) for w in range(workers)))
    return latencies, tokens[0]


async def bench_me(
    session: aiohttp.ClientSession, url: str, token: str, total: int, clients: int
) -> tuple[list[float], float]:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    remaining = total

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            async with session.get(url + "/api/v1/users/me", headers=headers) as resp:
                await resp.read()
                assert resp.status == 200
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, time.perf_counter() - started


async def load(args: argparse.Namespace, url: str, proc, data_dir: Path) -> None:
    connector = aiohttp.TCPConnector(limit=args.me_concurrency + 10)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await wait_ready(session, url, proc, limit_s=120)
        emails = await seed(session, url, data_dir / "outbox", args.users)
        logins, token = await bench_logins(
            session, url, emails, args.login_seconds, args.login_concurrency
        )
        await bench_me(session, url, token, 500, args.me_concurrency)  # warm the path
        me, elapsed = await bench_me(session, url, token, args.me_requests, args.me_concurrency)

    cost = (
        os.environ.get("PASSWORD_HASH_TIME_COST", "2"),
        os.environ.get("PASSWORD_HASH_MEMORY_KIB", "19456"),
        os.environ.get("PASSWORD_HASH_PARALLELISM", "1"),
    )
    print(f"argon2id t={cost[0]} m={cost[1]} KiB p={cost[2]}; CPUs: {os.cpu_count()}")
    print(
        f"logins: {len(logins)} in {args.login_seconds:.0f}s with {args.login_concurrency} "
        f"clients = {len(logins) / args.login_seconds:.1f}/s; "
        f"p50 {pct(logins, 0.5):.1f} ms, p99 {pct(logins, 0.99):.1f} ms"
    )
    print(
        f"GET /users/me: {len(me)} requests, {args.me_concurrency} concurrent clients, "
        f"{len(me) / elapsed:.0f} req/s; p50 {pct(me, 0.5):.1f} ms, "
        f"p99 {pct(me, 0.99):.1f} ms, mean {statistics.mean(me) * 1000:.1f} ms"
    )


def main(args: argparse.Namespace) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="cc-bench-auth-"))
    port = free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "error",
        "JWT_SECRET": "bench-" + "s" * 40,
        "RATE_LIMIT_PER_EMAIL_PER_MINUTE": "1000000",
        "RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "1000000",
        "DB_POOL_MAX": str(args.pool),
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    with (data_dir / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve"], env=env, stdout=log, stderr=log
        )
    try:
        asyncio.run(load(args, f"http://127.0.0.1:{port}", proc, data_dir))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
        print(f"server log and data: {data_dir}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--login-seconds", type=float, default=10.0)
    parser.add_argument("--login-concurrency", type=int, default=8)
    parser.add_argument("--me-requests", type=int, default=20000)
    parser.add_argument("--me-concurrency", type=int, default=100)
    parser.add_argument("--pool", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    main(parser.parse_args())
