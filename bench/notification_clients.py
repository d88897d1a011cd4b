"""Load generator of `bench.notifications --phases live`: one Socket.IO client per student.

Each client connects as its own user (its token), answers pings, and notes the wall-clock time
it received, per assignment, the course's `assignment.published` and its own
`notification.created`. Clients stay connected until every one of them has seen `--expect` of
each (or the deadline passes), then the process prints one JSON line: per assignment, the
receipt times of each kind (its `connected` line comes first, once every client is in).

    python -m bench.notification_clients --url http://127.0.0.1:8080 --tokens-file t.json \
        --expect 40 [--deadline 600]

Speaks Engine.IO 4 / Socket.IO 5 over the minimal websocket client of bench/realtime, the
same one the realtime bench and its floor use.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import defaultdict

import uvloop

from bench.realtime.wsclient import WebSocket, WebSocketClosed

PUBLISHED, CREATED = "assignment.published", "notification.created"


class Client:
    def __init__(self, token: str) -> None:
        self.token = token
        self.seen: dict[str, dict[str, float]] = {PUBLISHED: {}, CREATED: {}}


def assignment_of(name: str, envelope: dict) -> str | None:
    """The assignment an envelope is about, for the two kinds measured; None otherwise."""
    data = envelope.get("data") or {}
    if name == PUBLISHED:
        return data.get("assignment_id")
    if name == CREATED and data.get("type") == PUBLISHED:
        return (data.get("data") or {}).get("assignment_id")
    return None


async def run_one(url: str, client: Client, expect: int, connected: asyncio.Semaphore,
                  finished: asyncio.Semaphore, go: asyncio.Event) -> None:  # fmt: skip
    ws = await WebSocket.connect(url + "/socket.io/?EIO=4&transport=websocket")
    try:
        await ws.recv()  # 0{open}
        ws.send("40" + json.dumps({"token": client.token}))
        connected.release()
        reader = asyncio.create_task(_read(ws, client, expect, finished))
        await go.wait()  # stay connected until everyone is done, as real clients would
        reader.cancel()
    finally:
        await ws.close()


async def _read(ws: WebSocket, client: Client, expect: int, finished: asyncio.Semaphore) -> None:
    done = False
    try:
        while True:
            data = await ws.recv()
            if data == "2":
                ws.send("3")
                continue
            if not data.startswith("42"):
                continue
            at = time.time()
            name, envelope = json.loads(data[2:])
            if name in client.seen and (key := assignment_of(name, envelope)) is not None:
                client.seen[name].setdefault(key, at)  # a replayed duplicate keeps the first
                if not done and all(len(s) >= expect for s in client.seen.values()):
                    done = True
                    finished.release()
    except WebSocketClosed:
        pass


async def main(args: argparse.Namespace) -> None:
    clients = [Client(t) for t in args.tokens]
    connected, finished, go = asyncio.Semaphore(0), asyncio.Semaphore(0), asyncio.Event()
    tasks = [asyncio.create_task(run_one(args.url, c, args.expect, connected, finished, go))
             for c in clients]  # fmt: skip
    for _ in clients:
        await asyncio.wait_for(connected.acquire(), 60)
    print(json.dumps({"connected": len(clients)}), flush=True)
    try:
        async with asyncio.timeout(args.deadline):
            for _ in clients:
                await finished.acquire()
    except TimeoutError:
        pass
    go.set()
    await asyncio.wait(tasks, timeout=10)
    for t in tasks:
        t.cancel()
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: {PUBLISHED: [], CREATED: []})
    for c in clients:
        for name, seen in c.seen.items():
            for key, at in seen.items():
                out[key][name].append(at)
    print(json.dumps({"receipts": out}), flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--tokens-file", required=True, help="a JSON list: one token per client")
    p.add_argument("--expect", type=int, required=True, help="assignments each client awaits")
    p.add_argument("--deadline", type=float, default=600)
    args = p.parse_args()
    with open(args.tokens_file) as f:
        args.tokens = json.load(f)
    os.unlink(args.tokens_file)
    uvloop.run(main(args))
    sys.exit(0)
