"""Helpers for the assignments tests: bodies, a published assignment in a course with one
member per standing (`tests.course_helpers.cast`), submissions, uploads."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from tests.course_helpers import API, Cast, cast
from tests.factories import TestUser, UserFactory

START = datetime.fromisoformat("2026-01-05T09:00:00+00:00")  # the ManualClock's start
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"


def questions() -> list[dict[str, Any]]:
    return [
        {
            "id": "q1",
            "kind": "multiple_choice",
            "prompt": "2 + 2?",
            "options": ["3", "4", "5"],
            "correct": 1,
            "points": 2,
        },
        {
            "id": "q2",
            "kind": "true_false",
            "prompt": "The sun is a star.",
            "correct": True,
            "points": 1,
        },
        {"id": "q3", "kind": "text", "prompt": "Explain gravity.", "points": 3},
    ]


def auto_questions() -> list[dict[str, Any]]:
    return questions()[:2]


def assignment_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "task",
        "title": "Homework 1",
        "description": "Basics.",
        "instructions": "Answer everything.",
        "due_at": (START + timedelta(days=2)).isoformat(),
        "grace_minutes": 10,
        "late_policy": {"accept_late": False, "penalty_percent_per_day": 0},
        "max_attempts": 1,
        "questions": questions(),
        "attachments": [],
    }
    body.update(overrides)
    return body


def right_answers(text: str = "Mass attracts mass.") -> list[dict[str, Any]]:
    return [
        {"question_id": "q1", "choice": 1},
        {"question_id": "q2", "choice": True},
        {"question_id": "q3", "text": text},
    ]


async def create_assignment(client, user: TestUser, course_id: str, **overrides: Any) -> dict:
    resp = await client.post(
        f"{API}/courses/{course_id}/assignments",
        json=assignment_body(**overrides),
        headers=user.headers,
    )
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def publish(client, user: TestUser, assignment_id: str) -> dict:
    resp = await client.post(f"{API}/assignments/{assignment_id}/publish", headers=user.headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def published(client, owner: TestUser, course_id: str, **overrides: Any) -> dict:
    created = await create_assignment(client, owner, course_id, **overrides)
    return await publish(client, owner, created["id"])


async def submit(client, user: TestUser | dict, assignment_id: str, answers=None, key=None):
    """`user` is a TestUser, or headers (e.g. `fresh(...)` after moving the clock)."""
    headers = dict(user if isinstance(user, dict) else user.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post(
        f"{API}/assignments/{assignment_id}/submissions",
        json={"answers": right_answers() if answers is None else answers},
        headers=headers,
    )


async def upload(client, user: TestUser | dict, data: bytes, filename: str, ctype: str):
    form = aiohttp.FormData()
    # A file object, not bytes: aiohttp refuses large in-memory byte payloads in forms.
    form.add_field("file", io.BytesIO(data), filename=filename, content_type=ctype)
    headers = user if isinstance(user, dict) else user.headers
    return await client.post(f"{API}/uploads", data=form, headers=headers)


def fresh(users: UserFactory, user: TestUser) -> dict[str, str]:
    """Headers with a token issued now: access tokens live 15 minutes of the ManualClock."""
    return {"Authorization": f"Bearer {users.token(user.id)}"}


async def course_cast(client, users: UserFactory, permission: str) -> Cast:
    return await cast(client, users, permission)


async def outbox_events(db: asyncpg.Connection, prefix: str = "") -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT type, streams, data::text AS data FROM outbox WHERE type LIKE $1 || '%' "
        "ORDER BY position",
        prefix,
    )
    return [
        {"type": r["type"], "streams": list(r["streams"]), "data": json.loads(r["data"])}
        for r in rows
    ]
