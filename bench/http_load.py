"""HTTP load for the benchmarks, latency percentiles, and the CPU each request cost the server
(this process) and Postgres.

Closed loop (`load`, `load_wrk`): each client sends its next request when the last one is back,
so the load rises until something saturates; latency then follows from throughput (Little's
law) and mostly measures capacity. Paced (`load_paced`): requests are due at a fixed rate and
latency is counted from when each was due, queueing included, so it measures what a client sees
at that load.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import psutil

LOADGEN = r"""
import asyncio, json, sys, time
import aiohttp

async def main(url, token, total, concurrency):
    latencies, errors = [], 0
    headers = {"Authorization": f"Bearer {token}"}
    remaining = total
    async with aiohttp.ClientSession(headers=headers) as session:
        async def worker():
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                start = time.perf_counter()
                async with session.get(url) as resp:
                    await resp.read()
                    if resp.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - start)
        t0 = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), 300)
        elapsed = time.perf_counter() - t0
    print(json.dumps({"latencies": latencies, "errors": errors, "elapsed": elapsed}))

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
"""


PACED = r"""
import asyncio, json, sys
import aiohttp

async def main(url, token, rate, seconds, concurrency):
    latencies, errors = [], 0
    connector = aiohttp.TCPConnector(limit=concurrency)  # at most `concurrency` clients at once
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.2

        async def one(i):
            nonlocal errors
            due = start + i / rate
            await asyncio.sleep(due - loop.time())
            async with session.get(url) as resp:
                await resp.read()
                errors += resp.status != 200
            latencies.append(loop.time() - due)  # from when it was due: waits count

        await asyncio.wait_for(
            asyncio.gather(*(one(i) for i in range(int(rate * seconds)))), seconds + 120
        )
        elapsed = loop.time() - start
    print(json.dumps({"latencies": latencies, "errors": errors, "elapsed": elapsed}))

url, token, rate, seconds, concurrency = sys.argv[1:6]
asyncio.run(main(url, token, float(rate), float(seconds), int(concurrency)))
"""


async def _python_load(script: str, *argv: str, limit_seconds: float) -> dict:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, *argv, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), limit_seconds)
    data = json.loads(out)
    lat = sorted(data["latencies"])
    return {
        "p50_ms": statistics.median(lat) * 1000,
        "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000,
        "rps": len(lat) / data["elapsed"],
        "requests": len(lat),
        "errors": data["errors"],
    }


async def load(url: str, token: str, *, requests: int, concurrency: int) -> dict:
    """`requests` GETs from `concurrency` closed-loop aiohttp clients in another process."""
    return await _python_load(
        LOADGEN, url, token, str(requests), str(concurrency), limit_seconds=360
    )


async def load_paced(
    url: str, token: str, *, rate: float, seconds: float, concurrency: int
) -> dict:
    """`rate` GETs a second for `seconds`, over at most `concurrency` connections."""
    argv = (url, token, str(rate), str(seconds), str(concurrency))
    return await _python_load(PACED, *argv, limit_seconds=seconds + 180)


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk_ms(text: str, percentile: str) -> float:
    value, unit = re.search(
        rf"^\s*{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", text, re.M
    ).groups()
    return float(value) * _WRK_UNITS[unit]


async def load_wrk(url: str, token: str, *, seconds: int, concurrency: int) -> dict:
    """The same load from wrk (C, one thread): far less CPU taken from the server under test."""
    proc = await asyncio.create_subprocess_exec(
        "wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency",
        "-H", f"Authorization: Bearer {token}", url,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), seconds + 30)
    text = out.decode()
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    return {
        "p50_ms": _wrk_ms(text, "50%"),
        "p99_ms": _wrk_ms(text, "99%"),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "requests": int(re.search(r"(\d+) requests in", text).group(1)),
        "errors": int(bad.group(1)) if bad else 0,
    }


def postgres_cpu_seconds(database: str | None = None) -> float:
    """CPU used so far by the local Postgres processes (0 when Postgres runs elsewhere); with
    `database`, only its backends (their process title names it), so other work on a shared
    server does not count."""
    total = 0.0
    for proc in psutil.process_iter(["name", "cpu_times", "cmdline"]):
        times = proc.info["cpu_times"]
        if proc.info["name"] != "postgres" or times is None:
            continue
        if database is None or f" {database} " in " ".join(proc.info["cmdline"] or ()):
            total += times.user + times.system
    return total


async def costed(
    loadgen: Callable[[], Awaitable[dict]],
    server_cpu: Callable[[], float] = time.process_time,
    database: str | None = None,
) -> dict:
    """One round, with the CPU it cost per request: the server (this process, unless
    `server_cpu` measures another) and Postgres (`database`'s backends, or all of them).
    Latency at a fixed concurrency follows from throughput, which follows from these."""
    server0, pg0 = server_cpu(), postgres_cpu_seconds(database)
    result = await loadgen()
    n = max(result["requests"], 1)
    result["server_cpu_ms"] = (server_cpu() - server0) * 1000 / n
    result["pg_cpu_ms"] = (postgres_cpu_seconds(database) - pg0) * 1000 / n
    return result
