"""Helpers for the notification delivery tests: deliveries made the way the inbox side makes
them (`deliveries.enqueue`), devices, waiting on the delivery log, and the `delivery_worker`
fixture (a plugin of tests/conftest.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg
import pytest
from pydantic import SecretStr
from pymongo.asynchronous.database import AsyncDatabase

from server.domain.deliveries import NewDelivery, delivery_id
from server.keys import DELIVERY_WORKER
from server.stores import deliveries
from server.stores.deliveries import DELIVERIES
from server.stores.presence import PRESENCE


def new_delivery(
    user_id: uuid.UUID,
    channel: str,
    *,
    now: datetime,
    email: str | None = None,
    type: str = "grade.published",
    critical: bool = False,
    mode: str = "immediate",
    locale: str = "es",
    title: str = "Nueva nota",
    body: str = "Tarea 1: 9/10",
    course_id: str | None = None,
    course_title: str | None = None,
    event_id: str | None = None,
    notification_id: str | None = None,
) -> NewDelivery:
    event_id = event_id or uuid.uuid4().hex
    return NewDelivery(
        id=delivery_id(event_id, user_id, channel),
        event_id=event_id,
        notification_id=notification_id or uuid.uuid4().hex,
        user_id=user_id,
        channel=channel,  # type: ignore[arg-type]
        type=type,
        critical=critical,
        mode=mode,  # type: ignore[arg-type]
        locale=locale,
        title=title,
        body=body,
        data={"course_id": course_id} if course_id else {},
        course_id=course_id,
        created_at=now,
        email=email,
        extra={"course_title": course_title} if course_title else {},
    )


async def enqueue(db: AsyncDatabase, *items: NewDelivery) -> list[str]:
    await deliveries.enqueue(db, list(items))
    return [str(d.id) for d in items]


async def make_user(conn: asyncpg.Connection, now: datetime, email: str | None = None) -> uuid.UUID:
    user_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO users (id, email, name, email_verified, status, created_at, updated_at) "
        "VALUES ($1, $2, 'Ana', true, 'active', $3, $3)",
        user_id,
        email or f"{user_id.hex}@example.test",
        now,
    )
    return user_id


async def add_device(
    conn: asyncpg.Connection, user_id: uuid.UUID, token: str, *, seen: datetime
) -> None:
    await conn.execute(
        "INSERT INTO devices (token, user_id, platform, created_at, updated_at, last_seen) "
        "VALUES ($1, $2, 'android', $3, $3, $3)",
        token,
        user_id,
        seen,
    )


async def delivery(db: AsyncDatabase, delivery_id: str) -> dict[str, Any]:
    found = await db[DELIVERIES].find_one({"_id": delivery_id})
    assert found is not None
    return found


async def statuses(db: AsyncDatabase, ids: list[str]) -> dict[str, str]:
    return {d["_id"]: d["status"] async for d in db[DELIVERIES].find({"_id": {"$in": ids}})}


async def settle(
    db: AsyncDatabase, ids: list[str], check: Callable[[dict[str, str]], bool], within=30.0
) -> dict[str, str]:
    """Wait until the deliveries' statuses satisfy `check`; return them."""
    async with asyncio.timeout(within):
        while True:
            found = await statuses(db, ids)
            if check(found):
                return found
            await asyncio.sleep(0.03)


def all_in(*wanted: str) -> Callable[[dict[str, str]], bool]:
    return lambda found: bool(found) and all(s in wanted for s in found.values())


async def held(db: AsyncDatabase, ids: list[str], within: float = 30.0) -> list[dict[str, Any]]:
    """Wait until the worker has looked at the deliveries and held every one; return them."""
    async with asyncio.timeout(within):
        while True:
            docs = [d async for d in db[DELIVERIES].find({"_id": {"$in": ids}})]
            if len(docs) == len(ids) and all(
                d["status"] == "queued" and d.get("hold") for d in docs
            ):
                return docs
            await asyncio.sleep(0.03)


def with_providers(settings, *, brevo=None, fcm=None, poll_seconds: float = 0.03):
    """Settings that send through the local Brevo and/or FCM, polling for due work often."""
    if brevo is not None:
        settings.brevo_api_key = SecretStr(brevo.api_key)
        settings.brevo_base_url = brevo.url
    if fcm is not None:
        settings.fcm_project_id = fcm.project_id
        settings.fcm_service_account_file = fcm.service_account_file
        settings.fcm_base_url = fcm.url
    settings.delivery_poll_seconds = poll_seconds
    return settings


@pytest.fixture
def delivery_worker(client):
    """The app's delivery worker, its jitter draw fixed at 0.5 so retry times can be checked."""
    worker = client.app[DELIVERY_WORKER]
    worker.s.retry.rand = lambda: 0.5
    return worker


async def logged(caplog, check: Callable[[Any], bool], within: float = 10.0) -> Any:
    """Wait for a log record matching `check` (the worker logs after it records the outcome
    that the test saw); return it."""
    async with asyncio.timeout(within):
        while True:
            for record in caplog.records:
                if check(record):
                    return record
            await asyncio.sleep(0.02)


async def online(mongo, user_id, *, present: bool = True, within: float = 15.0) -> None:
    """Until the user's presence record is there (or, `present=False`, gone)."""
    async with asyncio.timeout(within):
        while bool(await mongo[PRESENCE].count_documents({"user_id": str(user_id)})) != present:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
