"""What the soak prints: 5xx and requests without an answer, per-minute throughput and latency,
events lost (gaps, and tails short of the log's head), duplicates and resyncs, the server's
resident memory after the warm-up and at the end, CPU per request and per delivered event, and
the other processes that used the machine meanwhile (it is shared)."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections import Counter, defaultdict

import psutil

GROWTH_GOAL = 0.10


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def _others_once(exclude: set[int], database: str, seconds: float = 2.0) -> dict[str, float]:
    procs = []
    for proc in psutil.process_iter(["pid", "cmdline", "name"]):
        if proc.info["pid"] in exclude or database in " ".join(proc.info["cmdline"] or ()):
            continue  # ours: this run's processes and its database's Postgres backends
        try:
            proc.cpu_percent(None)
            procs.append(proc)
        except psutil.Error:
            continue
    psutil.cpu_percent(None)
    time.sleep(seconds)
    usage: dict[str, float] = defaultdict(float)
    for proc in procs:
        try:
            cpu = proc.cpu_percent(None)
        except psutil.Error:
            continue
        if cpu >= 1.0:
            cmd = " ".join(proc.info["cmdline"] or [proc.info["name"] or "?"])
            usage[cmd[:90]] += cpu
    usage["(the whole machine, this run included)"] = psutil.cpu_percent(None) * (
        os.cpu_count() or 1
    )
    return dict(usage)


async def machine_load(
    out: list[dict[str, float]], *, exclude_pid: int, database: str, every: float
) -> None:
    """Every `every` seconds, the CPU % (100 = one core) of each process outside this run."""
    while True:
        me = psutil.Process(exclude_pid)
        ours = {exclude_pid, *(p.pid for p in me.children(recursive=True))}
        out.append(await asyncio.to_thread(_others_once, ours, database))
        await asyncio.sleep(every)


def _requests(samples: list, seconds: float) -> tuple[int, bool]:
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for _, kind, status, _ in samples:
        by_kind[kind][status] += 1
    failures = sum(n for c in by_kind.values() for s, n in c.items() if s >= 500)
    print(f"REST: {len(samples)} requests in {seconds:.0f} s ({len(samples) / seconds:.1f}/s)")
    for kind, statuses in sorted(by_kind.items()):
        print(f"  {kind:14} {dict(sorted(statuses.items()))}")
    minutes: dict[int, list[float]] = defaultdict(list)
    for at, _, status, latency in samples:
        if status < 500:
            minutes[int(at // 60)].append(latency * 1000)
    print("  per minute: requests, p50 ms, p99 ms")
    for m, lat in sorted(minutes.items()):
        print(f"    {m:3d}: {len(lat):6d} {pct(lat, 0.5):8.1f} {pct(lat, 0.99):8.1f}")
    print(f"  5xx or no answer: {failures}")
    return failures, failures == 0


def _backlog(lags: list[tuple[float, dict[str, int]]], drained: float) -> bool:
    by_minute = {int(t // 60): lag for t, lag in lags}  # the last sample of each minute
    names = sorted({n for lag in by_minute.values() for n in lag})
    print(f"backlog (outbox events not yet handled) per minute: {', '.join(names)}")
    for m, lag in sorted(by_minute.items()):
        print(f"    {m:3d}: " + " ".join(f"{lag.get(n, 0):7d}" for n in names))
    if drained == float("inf"):
        print("  still recording when the drain limit passed: tails not checked")
        return False
    print(f"  every consumer caught up {drained:.0f} s after the load stopped")
    return True


def _events(clients: list[dict], heads: dict[str, int]) -> tuple[int, bool]:
    gaps = sum(c["gaps"] for c in clients)
    shortfalls: Counter = Counter()  # by kind of stream: user, course, course staff, global
    for c in clients:
        for stream, seq in c["last"].items():
            kind = stream.split(":")[0] + (":staff" if stream.endswith(":staff") else "")
            shortfalls[kind] += max(0, heads.get(stream, 0) - seq)
    short = sum(shortfalls.values())
    dups, resyncs = sum(c["duplicates"] for c in clients), sum(c["resyncs"] for c in clients)
    received = sum(c["received"] for c in clients)
    reconnects = sum(max(0, c["connects"] - 1) for c in clients)
    refusals = Counter(code for c in clients for code in c["refusals"])
    ended = Counter(code for c in clients for code in c["ended"])
    print(f"events: {received} delivered to {len(clients)} clients over "
          f"{len({s for c in clients for s in c['last']})} streams")  # fmt: skip
    print(f"  lost: {gaps} in gaps + {short} short of the head {dict(shortfalls)}; "
          f"duplicates {dups}; "
          f"resyncs {resyncs}; reconnects {reconnects}; refusals {dict(refusals)}; "
          f"session.ended {dict(ended)}")  # fmt: skip
    return received, gaps + short + resyncs == 0 and not refusals


def _memory(rss: list[tuple[float, int]], warmup: float) -> bool:
    after = [r for t, r in rss if warmup <= t < warmup + 15] or [rss[-1][1]]
    end = [r for _, r in rss[-3:]]
    base, last = statistics.median(after), statistics.median(end)
    growth = last / base - 1
    mb = 1 << 20
    print(f"server RSS: {rss[0][1] / mb:.0f} MB at the start, {base / mb:.0f} MB after the "
          f"{warmup:.0f} s warm-up, {last / mb:.0f} MB at the end, peak "
          f"{max(r for _, r in rss) / mb:.0f} MB: growth after warm-up {growth:+.1%} "
          f"(goal < {GROWTH_GOAL:.0%})")  # fmt: skip
    by_minute = {int(t // 60): r for t, r in rss}  # the last sample of each minute
    print("  per minute, MB: " + " ".join(f"{r / mb:.0f}" for _, r in sorted(by_minute.items())))
    return growth < GROWTH_GOAL


def report(r: dict, args: argparse.Namespace) -> bool:
    print(f"soak: {args.clients} socket clients, REST mix at {args.rate}/s, {args.minutes} min, "
          f"{os.cpu_count()} cores")  # fmt: skip
    _, requests_ok = _requests(r["samples"], r["seconds"])
    drained_ok = _backlog(r["lags"], r["drained"])
    received, events_ok = _events(r["clients"], r["heads"])
    memory_ok = _memory(r["rss"], r["warmup"])
    cpu = r["cpu_seconds"]
    per_request = cpu * 1000 / max(len(r["samples"]), 1)
    per_event = cpu * 1e6 / max(received, 1)
    print(
        f"server CPU: {cpu:.0f} s ({cpu / r['seconds']:.0%} of a core); {per_request:.2f} ms "
        f"per request, or {per_event:.0f} us per delivered event, were it all theirs"
    )
    seconds = r["seconds"]
    print(f"  during the load, MongoDB (SecantusDB, its own process) used "
          f"{r['mongo_cpu_seconds']:.0f} s ({r['mongo_cpu_seconds'] / seconds:.0%} of a core), "
          f"Postgres (this database's backends) {r['pg_cpu_seconds']:.0f} s "
          f"({r['pg_cpu_seconds'] / seconds:.0%})")  # fmt: skip
    print("other processes (CPU %, 100 = one core), sampled every minute:")
    totals: dict[str, list[float]] = defaultdict(list)
    for snapshot in r["others"]:
        for cmd, usage in snapshot.items():
            totals[cmd].append(usage)
    n = max(len(r["others"]), 1)
    for cmd, usages in sorted(totals.items(), key=lambda kv: -sum(kv[1]))[:8]:
        print(f"  {sum(usages) / n:6.0f}  {cmd}")
    ok = requests_ok and drained_ok and events_ok and memory_ok
    print("PASS" if ok else "FAIL")
    return ok
