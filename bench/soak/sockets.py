"""Socket clients for the soak: one real user each, speaking Engine.IO 4 / Socket.IO 5 by hand
over the minimal websocket client of bench/realtime, checking every envelope's seq on its
stream as it arrives. A dropped connection reconnects with `resume` (its last seq of every
stream), as the app does. Runs until a line arrives on stdin, then prints one JSON line.

    python -m bench.soak.sockets --url http://127.0.0.1:8080 --tokens-file F

Per stream: the first seq is the baseline (`session.ready` names it for the streams of the
connect; a room joined later starts at its head, so its first envelope is); after it, each
seq must be the last + 1. A higher one is a gap (events lost), a lower or equal one a
duplicate; `resync.required` (the server could not replay) is counted apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import uvloop

from bench.realtime.wsclient import WebSocket, WebSocketClosed


@dataclass
class Client:
    token: str
    last: dict[str, int] = field(default_factory=dict)
    received: int = 0
    gaps: int = 0  # events missing between two received
    duplicates: int = 0
    resyncs: int = 0
    connects: int = 0
    refusals: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)  # session.ended codes

    def envelope(self, stream: str, seq: int) -> None:
        self.received += 1
        last = self.last.get(stream)
        if last is not None and seq != last + 1:
            if seq <= last:
                self.duplicates += 1
                return
            self.gaps += seq - last - 1
        self.last[stream] = seq

    def control(self, name: str, payload: Any) -> None:
        if name == "session.ready":
            for stream, seq in payload["streams"].items():
                self.last.setdefault(stream, seq)
        elif name == "session.rooms":
            for stream in payload["left"]:
                self.last.pop(stream, None)  # the server forgets it too; rejoining restarts
        elif name == "resync.required":
            self.resyncs += 1
        elif name == "session.ended":
            self.ended.append(payload.get("code", "?"))


async def session(url: str, client: Client, stop: asyncio.Event) -> None:
    """One connection, until it closes or the run stops."""
    ws = await WebSocket.connect(url + "/socket.io/?EIO=4&transport=websocket")
    try:
        await ws.recv()  # 0{open}
        auth: dict[str, Any] = {"token": client.token}
        if client.last:
            auth["resume"] = dict(client.last)
        ws.send("40" + json.dumps(auth))
        client.connects += 1
        while not stop.is_set():
            data = await ws.recv()
            if data == "2":
                ws.send("3")
            elif data.startswith("42"):
                name, payload = json.loads(data[2:])
                if isinstance(payload, dict) and "seq" in payload and "stream" in payload:
                    client.envelope(payload["stream"], payload["seq"])
                else:
                    client.control(name, payload)
            elif data.startswith("44"):
                client.refusals.append(json.loads(data[2:]).get("data", {}).get("code", "?"))
                return
            elif data in ("1", "41"):
                return
    finally:
        await ws.close()


async def keep_connected(url: str, client: Client, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            task = asyncio.create_task(session(url, client, stop))
            waiter = asyncio.create_task(stop.wait())
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if not task.done():
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        except (WebSocketClosed, ConnectionError, OSError):
            pass
        if not stop.is_set():
            await asyncio.sleep(0.5)  # then resume where it left off
        if len(client.refusals) > 5:
            return


async def main(args: argparse.Namespace, tokens: list[str]) -> None:
    clients = [Client(t) for t in tokens]
    stop = asyncio.Event()
    tasks = []
    started = time.monotonic()
    for c in clients:  # a steady ramp, not a storm: the soak is about the long run
        tasks.append(asyncio.create_task(keep_connected(args.url, c, stop)))
        await asyncio.sleep(args.ramp / max(len(clients), 1))
    print(json.dumps({"connecting": len(clients), "seconds": time.monotonic() - started}),
          flush=True)  # fmt: skip
    await asyncio.to_thread(sys.stdin.readline)  # the soak says when it is over
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
    print(json.dumps({"clients": [
        {"last": c.last, "received": c.received, "gaps": c.gaps, "duplicates": c.duplicates,
         "resyncs": c.resyncs, "connects": c.connects, "refusals": c.refusals, "ended": c.ended}
        for c in clients
    ]}), flush=True)  # fmt: skip


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--tokens-file", required=True, help="a JSON list: one token per client")
    p.add_argument("--ramp", type=float, default=20.0, help="seconds to connect them all")
    args = p.parse_args()
    with open(args.tokens_file) as f:
        tokens = json.load(f)
    os.unlink(args.tokens_file)
    uvloop.run(main(args, tokens))
    sys.exit(0)
