"""Realtime fixtures: the app served on a loopback port, real `socketio.AsyncClient`s that
record what they receive, and helpers to record events and courses directly in the stores."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import asyncpg
import pytest
import socketio

from server.domain.events import DomainEvent
from server.settings import Settings
from server.stores import outbox


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Fast loops so tests do not wait on production intervals.
    settings.realtime_auth_sweep_seconds = 0.1
    settings.realtime_relay_poll_seconds = 0.5
    return settings


class Recorder:
    """A real Socket.IO client that keeps every server event it receives, in order."""

    def __init__(self, url: str, namespace: str = "/") -> None:
        self.url = url
        self.namespace = namespace
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self.changed = asyncio.Condition()
        self.disconnect_reason: str | None = None

        async def any_event(event: str, data: Any = None) -> None:
            self.events.append((event, data))
            async with self.changed:
                self.changed.notify_all()

        async def on_disconnect(reason: Any = None) -> None:
            self.disconnect_reason = str(reason)
            async with self.changed:
                self.changed.notify_all()

        async def on_connect_error(data: Any = None) -> None:
            self.refusal = data

        self.refusal: Any = None
        self.sio.on("connect_error", on_connect_error, namespace=namespace)
        self.sio.on("*", any_event, namespace=namespace)
        self.sio.on("disconnect", on_disconnect, namespace=namespace)

    async def connect(self, token: str | None, resume: dict[str, int] | None = None,
                      *, ready: bool = True) -> Recorder:  # fmt: skip
        auth: dict[str, Any] = {} if token is None else {"token": token}
        if resume is not None:
            auth["resume"] = resume
        await self.sio.connect(
            self.url, auth=auth, namespaces=[self.namespace], transports=["websocket"],
            wait_timeout=5,
        )  # fmt: skip
        if ready:
            await self.wait_for("session.ready")
        return self

    async def wait_until(self, check: Callable[[], Any], within: float = 5.0) -> Any:
        async def loop() -> Any:
            async with self.changed:
                while not (result := check()):
                    await self.changed.wait()
                return result

        return await asyncio.wait_for(loop(), within)

    async def wait_for(self, event: str, count: int = 1, within: float = 5.0) -> list[Any]:
        await self.wait_until(lambda: len(self.of(event)) >= count, within)
        return self.of(event)

    def of(self, event: str) -> list[Any]:
        return [data for name, data in self.events if name == event]

    def envelopes(self, stream: str | None = None) -> list[dict[str, Any]]:
        return [
            d for _, d in self.events
            if isinstance(d, dict) and {"id", "seq", "type"} <= d.keys()
            and (stream is None or d["stream"] == stream)
        ]  # fmt: skip

    async def call(self, event: str, data: Any = None) -> Any:
        args = () if data is None else (data,)
        return await self.sio.call(event, *args, namespace=self.namespace, timeout=5)

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


@pytest.fixture
async def sockets(client) -> AsyncIterator[Callable[..., Recorder]]:
    made: list[Recorder] = []
    url = str(client.make_url("/")).rstrip("/")

    def make(namespace: str = "/", base: str | None = None) -> Recorder:
        recorder = Recorder(base or url, namespace)
        made.append(recorder)
        return recorder

    yield make
    for recorder in made:
        await recorder.close()


async def record(
    conn: asyncpg.Connection, type: str, *streams: str, at, **data: Any
) -> DomainEvent:
    """Record one event the way a use case does: outbox.append in a transaction."""
    ev = DomainEvent(type=type, streams=streams, data=data, occurred_at=at)
    async with conn.transaction():
        await outbox.append(conn, [ev])
    return ev


async def make_course(
    conn: asyncpg.Connection, owner_id: uuid.UUID, now, year: int = 2026
) -> uuid.UUID:
    course_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO courses (id, owner_id, title, category, level, modality, capacity, "
        "starts_on, ends_on, enroll_until, created_at, updated_at) "
        "VALUES ($1, $2, 'Course', 'math', 'beginner', 'online', 30, $3, $4, $3, $5, $5)",
        course_id, owner_id, date(year, 2, 1), date(year, 6, 1), now,
    )  # fmt: skip
    await add_member(conn, course_id, owner_id, "owner", now)
    return course_id


async def add_member(conn, course_id, user_id, role: str, now, status: str = "active") -> None:
    await conn.execute(
        "INSERT INTO course_members (course_id, user_id, role, status, permissions, joined_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $6) ON CONFLICT (course_id, user_id) "
        "DO UPDATE SET role = EXCLUDED.role, status = EXCLUDED.status",
        course_id, user_id, role, status, json.dumps({}), now,
    )  # fmt: skip


async def relayed(conn: asyncpg.Connection, within: float = 5.0) -> None:
    """Wait until the relay has moved every recorded event to the log."""
    async with asyncio.timeout(within):
        unrelayed = "SELECT count(*) FROM outbox WHERE relayed_at IS NULL"
        while await conn.fetchval(unrelayed):  # noqa: ASYNC110 (polling another process's work)
            await asyncio.sleep(0.02)
