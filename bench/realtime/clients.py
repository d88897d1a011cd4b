"""Load generator: many lightweight websocket clients in one process (run several processes).

Speaks Engine.IO 4 / Socket.IO 5 by hand (mode `sio`) or reads the bare JSON frames of the
floor server (mode `floor`) over the same minimal websocket client (wsclient.py), so both sides
are measured by the same client.
Prints one JSON line of results to stdout. Bounded: every phase has a deadline.

    python -m bench.realtime.clients --mode sio --url http://127.0.0.1:8080 --count 250 \
        --token T --expect 1000 [--resume '{"course:…": 950}'] [--idle 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import datetime

import uvloop

from bench.realtime.wsclient import WebSocket, WebSocketClosed


class Client:
    def __init__(self, token: str) -> None:
        self.token = token
        self.received = 0
        self.latencies: list[float] = []
        self.connected_at = 0.0
        self.done_at = 0.0


async def run_one(args, client: Client, go: asyncio.Event, connected: asyncio.Semaphore,
                  finished: asyncio.Semaphore) -> None:  # fmt: skip
    if args.mode == "sio":
        url = args.url + "/socket.io/?EIO=4&transport=websocket"
    else:
        url = args.url + "/ws"
    ws = await WebSocket.connect(url)
    try:
        if args.mode == "sio":
            await ws.recv()  # 0{open}
            auth = {"token": client.token}
            if args.resume:
                auth["resume"] = json.loads(args.resume)
            ws.send("40" + json.dumps(auth))
        client.connected_at = time.monotonic()
        connected.release()
        if not args.idle:  # the memory phase only holds the connection open, answering pings
            await _receive(args, ws, client, finished)
        # Stay connected until every client here is done, as real clients would: leaving at
        # once would add disconnects to the server's work while the others still catch up.
        reader = asyncio.create_task(_answer_pings(ws))
        await go.wait()
        reader.cancel()
    finally:
        await ws.close()


async def _receive(args, ws: WebSocket, client: Client, finished: asyncio.Semaphore) -> None:
    while True:
        data = await ws.recv()
        if args.mode == "sio":
            if data == "2":
                ws.send("3")
                continue
            if not data.startswith("42"):
                continue
            if args.count_only:  # an event envelope, without parsing it
                if '"seq":' not in data or data.startswith('42["resync.required"'):
                    continue
                payload = None
            else:
                name, payload = json.loads(data[2:])
                if "seq" not in payload or name in ("resync.required",):
                    continue
        else:
            payload = json.loads(data)
        client.received += 1
        if payload is not None:
            sent = datetime.fromisoformat(payload["at"]).timestamp()
            client.latencies.append(time.time() - sent)
        if client.received >= args.expect:
            client.done_at = time.time()
            finished.release()
            return


async def _answer_pings(ws: WebSocket) -> None:
    try:
        while True:
            if await ws.recv() == "2":
                ws.send("3")
    except WebSocketClosed:
        pass


async def main(args) -> None:
    clients = [Client(t) for t in args.tokens[: args.count]]
    go = asyncio.Event()
    connected, finished = asyncio.Semaphore(0), asyncio.Semaphore(0)
    started, began = time.monotonic(), time.time()
    tasks = [asyncio.create_task(run_one(args, c, go, connected, finished))
             for c in clients]  # fmt: skip
    for _ in clients:
        await asyncio.wait_for(connected.acquire(), args.deadline)
    print(json.dumps({"connected": args.count, "seconds": time.monotonic() - started,
                      "began": began}), flush=True)  # fmt: skip
    if args.idle:
        await asyncio.sleep(args.idle)
    else:
        try:
            async with asyncio.timeout(args.deadline):
                for _ in clients:
                    await finished.acquire()
        except TimeoutError:
            pass
    go.set()
    try:
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), args.deadline)
    except TimeoutError:
        pass
    for t in tasks:
        t.cancel()
    lat = sorted(x for c in clients for x in c.latencies)
    done = [c.done_at for c in clients if c.done_at]  # wall clock, comparable across processes
    print(json.dumps({
        "received": sum(c.received for c in clients),
        "complete_clients": len(done),
        "latencies": lat[:: max(1, len(lat) // 20000)],
        "done_after": sorted(done),
    }), flush=True)  # fmt: skip


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["sio", "floor"], required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--token", default="")
    p.add_argument("--tokens-file", default="", help="a JSON list: one token per client")
    p.add_argument("--expect", type=int, default=0)
    p.add_argument("--resume", default="")
    p.add_argument("--idle", type=float, default=0)
    p.add_argument("--deadline", type=float, default=120)
    p.add_argument("--count-only", action="store_true",
                   help="count event envelopes without decoding them (no latencies): for the "
                        "storm, whose figure is the time until all are caught up")  # fmt: skip
    args = p.parse_args()
    args.tokens = [args.token] * args.count
    if args.tokens_file:  # one user per client
        with open(args.tokens_file) as f:
            args.tokens = json.load(f)
        os.unlink(args.tokens_file)
    uvloop.run(main(args))  # the cheaper client leaves more CPU to the servers
    sys.exit(0)
