"""The floor: a bare aiohttp WebSocket server that broadcasts the same JSON frames.

`POST /broadcast?n=1000&rate=…` sends n envelope-shaped frames to every connected client, one
`send_str` per client per frame (no framework, no per-socket logic), at once or paced.

    python -m bench.realtime.floor --port 8099 [--loop uvloop|asyncio]

It runs on the same event loop as the server it is compared with (EVENT_LOOP, uvloop by default).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime

import uvloop
from aiohttp import web

CLIENTS = web.AppKey("clients", set)


async def ws_handler(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    request.app[CLIENTS].add(ws)
    try:
        async for _ in ws:
            pass
    finally:
        request.app[CLIENTS].discard(ws)
    return ws


async def broadcast(request: web.Request) -> web.Response:
    n = int(request.query.get("n", "1000"))
    stream = request.query.get("stream", "course:floor")
    rate = float(request.query.get("rate", "0"))  # events/s; 0 = one burst
    loop = asyncio.get_running_loop()
    start = loop.time()
    # A burst is stamped once, like events committed in one transaction on the real server,
    # so both sides measure from when the event came to be, queueing included.
    burst_at = datetime.now(UTC).isoformat()
    for seq in range(1, n + 1):
        if rate:
            await asyncio.sleep(max(0.0, start + (seq - 1) / rate - loop.time()))
        frame = json.dumps({
            "id": f"e{seq}", "stream": stream, "seq": seq, "type": "module.changed",
            "at": datetime.now(UTC).isoformat() if rate else burst_at, "data": {"n": seq},
        })  # fmt: skip
        for ws in list(request.app[CLIENTS]):
            try:
                await ws.send_str(frame)  # returns at once unless that socket's buffer is full
            except ConnectionError:
                pass
    return web.json_response({"sent": n, "clients": len(request.app[CLIENTS])})


def make_app() -> web.Application:
    app = web.Application()
    app[CLIENTS] = set()
    app.router.add_get("/ws", ws_handler)
    app.router.add_post("/broadcast", broadcast)
    return app


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8099)
    p.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    args = p.parse_args()
    loop = uvloop.new_event_loop() if args.loop == "uvloop" else asyncio.new_event_loop()
    web.run_app(make_app(), host="127.0.0.1", port=args.port, print=None, loop=loop)
