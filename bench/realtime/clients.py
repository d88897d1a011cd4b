"""Load generator: many lightweight websocket clients in one process (run several processes).

Speaks Engine.IO 4 / Socket.IO 5 by hand over aiohttp websockets (mode `sio`) or reads the bare
JSON frames of the floor server (mode `floor`), so both sides are measured by the same client.
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

import aiohttp
import uvloop


class Client:
    def __init__(self, token: str) -> None:
        self.token = token
        self.received = 0
        self.latencies: list[float] = []
        self.connected_at = 0.0
        self.done_at = 0.0


async def run_one(args, session: aiohttp.ClientSession, client: Client, go: asyncio.Event,
                  connected: asyncio.Semaphore, finished: asyncio.Semaphore) -> None:  # fmt: skip
    if args.mode == "sio":
        url = args.url + "/socket.io/?EIO=4&transport=websocket"
    else:
        url = args.url + "/ws"
    async with session.ws_connect(url, max_msg_size=0, heartbeat=None) as ws:
        if args.mode == "sio":
            await ws.receive_str()  # 0{open}
            auth = {"token": client.token}
            if args.resume:
                auth["resume"] = json.loads(args.resume)
            await ws.send_str("40" + json.dumps(auth))
        client.connected_at = time.monotonic()
        connected.release()
        if args.idle:  # memory phase: hold the connection open, answer pings, then leave
            reader = asyncio.create_task(_answer_pings(ws))
            await go.wait()
            reader.cancel()
            return
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
            data = msg.data
            if args.mode == "sio":
                if data == "2":
                    await ws.send_str("3")
                    continue
                if not data.startswith("42"):
                    continue
                name, payload = json.loads(data[2:])
                if "seq" not in payload or name in ("resync.required",):
                    continue
            else:
                payload = json.loads(data)
            client.received += 1
            sent = datetime.fromisoformat(payload["at"]).timestamp()
            client.latencies.append(time.time() - sent)
            if client.received >= args.expect:
                client.done_at = time.time()
                finished.release()
                break
        # Stay connected until every client here is done, as real clients would: leaving at
        # once would add disconnects to the server's work while the others still catch up.
        reader = asyncio.create_task(_answer_pings(ws))
        await go.wait()
        reader.cancel()


async def _answer_pings(ws: aiohttp.ClientWebSocketResponse) -> None:
    async for msg in ws:
        if msg.type is aiohttp.WSMsgType.TEXT and msg.data == "2":
            await ws.send_str("3")


async def main(args) -> None:
    clients = [Client(t) for t in args.tokens[: args.count]]
    go = asyncio.Event()
    connected, finished = asyncio.Semaphore(0), asyncio.Semaphore(0)
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn) as session:
        started, began = time.monotonic(), time.time()
        tasks = [asyncio.create_task(run_one(args, session, c, go, connected, finished))
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
    args = p.parse_args()
    args.tokens = [args.token] * args.count
    if args.tokens_file:  # one user per client
        with open(args.tokens_file) as f:
            args.tokens = json.load(f)
        os.unlink(args.tokens_file)
    uvloop.run(main(args))  # the cheaper client leaves more CPU to the servers
    sys.exit(0)
