"""Calling every cell of the table against the app: each route as each role over HTTP, each
socket event as each role on a real Socket.IO client. Returns what each cell got."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import aiohttp
import socketio

from tests.assignment_helpers import PDF
from tests.authz.model import ROLES, Outcome, Row
from tests.authz.targets import PNG, Targets
from tests.authz.world import People

_PARAM = re.compile(r"{(\w+)(?::[^}]+)?}")
Cells = dict[tuple[tuple[str, str], str], Outcome]


def fill(template: str, target: dict[str, Any]) -> str:
    return _PARAM.sub(lambda m: str(target[m.group(1)]), template)


def request_body(row: Row, target: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments that carry the row's body."""
    body = row.body(target) if callable(row.body) else row.body
    if body is None:
        return {}
    if body == "UPLOAD":
        form = aiohttp.FormData()
        form.add_field("file", PDF, filename="notes.pdf", content_type="application/pdf")
        return {"data": form}
    if body == "PHOTO":
        return {"data": PNG, "headers": {"Content-Type": "image/png"}}
    return {"json": body}


async def observed(resp: aiohttp.ClientResponse) -> Outcome:
    if 200 <= resp.status < 300:
        return Outcome(resp.status)
    try:
        code = (await resp.json())["error"]["code"]
    except (aiohttp.ContentTypeError, KeyError, TypeError, ValueError):
        code = f"(no error body: {(await resp.text())[:80]!r})"
    return Outcome(resp.status, code)


class Walk:
    def __init__(self, client, targets: Targets, people: People) -> None:
        self.client = client
        self.targets = targets
        self.people = people
        self.shared: dict[str, dict[str, Any]] = {}

    async def target(self, name: str) -> dict[str, Any]:
        if name not in self.shared:
            self.shared[name] = await getattr(self.targets, name)()
        return self.shared[name]

    async def route(self, row: Row) -> Cells:
        cells: Cells = {}
        build: Callable[[], Any] = getattr(self.targets, row.target)
        target = await (build() if row.fresh else self.target(row.target))
        for role in ROLES:
            body = request_body(row, target)
            headers = {**self.people.headers(role, row.permission), **body.pop("headers", {})}
            resp = await self.client.request(
                row.method,
                fill(row.path, target),
                params={k: fill(v, target) for k, v in row.params.items()},
                headers=headers,
                **body,
            )
            cells[(row.key, role)] = got = await observed(resp)
            if row.fresh and got.served:
                target = await build()  # this one was used up (or changed) by the call
        return cells

    async def sockets(self, rows: list[Row], url: str) -> Cells:
        """One client per role and namespace; the namespace's events on it, in table order."""
        cells: Cells = {}
        by_namespace: dict[str, list[Row]] = {}
        for row in rows:
            namespace = row.path.partition(" ")[0]
            by_namespace.setdefault(namespace, []).append(row)
        for namespace, events in by_namespace.items():
            assert events[0].path.endswith(" connect"), "a namespace's first row is its connect"
            for role in ROLES:
                got_all = await self._socket(url, namespace, role, events)
                for row, got in zip(events, got_all, strict=True):
                    cells[(row.key, role)] = got
        return cells

    async def _socket(self, url: str, namespace: str, role: str, rows: list[Row]) -> list:
        who = self.people.caller(role, None)
        auth = {} if who is None else {"token": who.token}
        sio = socketio.AsyncClient(reconnection=False)
        refused: list[Any] = []
        sio.on("connect_error", lambda data=None: refused.append(data), namespace=namespace)
        try:
            await sio.connect(url, auth=auth, namespaces=[namespace], transports=["websocket"],
                              wait_timeout=5)  # fmt: skip
        except socketio.exceptions.ConnectionError:
            data = refused[0] if refused else {}
            code = (data.get("data") or {}).get("code") if isinstance(data, dict) else None
            return [Outcome(0, code or f"(refused: {data!r})")] * len(rows)
        try:
            out = [Outcome(0)]  # connected
            for row in rows[1:]:
                event = row.path.partition(" ")[2]
                payload = await self._payload(row)
                ack = await sio.call(event, payload, namespace=namespace, timeout=5)
                ok = isinstance(ack, dict) and ack.get("ok") is True
                out.append(Outcome(0) if ok else Outcome(0, str(_ack_code(ack))))
            return out
        finally:
            await sio.disconnect()
            await asyncio.sleep(0)

    async def _payload(self, row: Row) -> Any:
        target = await self.target(row.target)
        return row.body(target) if callable(row.body) else (row.body or {})


def _ack_code(ack: Any) -> Any:
    if isinstance(ack, dict) and isinstance(ack.get("error"), dict):
        return ack["error"].get("code")
    return f"(unexpected ack {ack!r})"
