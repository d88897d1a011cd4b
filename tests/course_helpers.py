"""Helpers for the courses tests: a valid course body, and a course with one member per role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import asyncpg

from server.stores import outbox
from tests.factories import TestUser, UserFactory

API = "/api/v1"
TODAY = date(2026, 1, 5)  # the ManualClock's start


def course_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Intro to Astronomy",
        "description": "Stars, planets and galaxies for curious minds.",
        "short_description": "Look up.",
        "category": "science",
        "level": "beginner",
        "modality": "online",
        "capacity": 30,
        "starts_on": str(TODAY + timedelta(days=10)),
        "ends_on": str(TODAY + timedelta(days=60)),
        "enroll_until": str(TODAY + timedelta(days=9)),
        "objectives": ["Name the planets"],
        "syllabus": "Week 1: the sky.",
        "eligibility": {"prerequisite_course_ids": []},
    }
    body.update(overrides)
    return body


async def create_course(client, owner: TestUser, **overrides: Any) -> dict[str, Any]:
    resp = await client.post(f"{API}/courses", json=course_body(**overrides), headers=owner.headers)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def enroll(client, user: TestUser, course_id: str) -> None:
    resp = await client.post(f"{API}/courses/{course_id}/enrollments", headers=user.headers)
    assert resp.status == 201, await resp.text()


async def make_assistant(client, owner: TestUser, course_id: str, user: TestUser, **perms) -> None:
    resp = await client.put(
        f"{API}/courses/{course_id}/assistants/{user.id}",
        json={"permissions": perms},
        headers=owner.headers,
    )
    assert resp.status == 200, await resp.text()


@dataclass
class Cast:
    """A course with one user of each standing; `who(name)` gives that user's headers."""

    course_id: str
    owner: TestUser
    student: TestUser
    other: TestUser
    assistant_without: TestUser
    assistant_with: TestUser

    def headers(self, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        return getattr(self, role).headers


async def cast(client, users: UserFactory, permission: str, **course: Any) -> Cast:
    """Owner, an enrolled student, another user, an assistant without `permission` (but with
    every other one) and an assistant with only `permission`."""
    owner = await users.create("Olga Owner")
    course_id = (await create_course(client, owner, **course))["id"]
    student, other = await users.create("Sam Student"), await users.create("Otto Other")
    without, with_ = await users.create("Ann Without"), await users.create("Al With")
    await enroll(client, student, course_id)
    all_perms = {"edit_content", "grade", "communicate"}
    await make_assistant(
        client, owner, course_id, without, **{p: True for p in all_perms - {permission}}
    )
    await make_assistant(client, owner, course_id, with_, **{permission: True})
    return Cast(course_id, owner, student, other, without, with_)


async def events(db: asyncpg.Connection, type: str) -> list[dict[str, Any]]:
    import json

    return [
        {"streams": list(r["streams"]), "data": json.loads(r["data"])}
        for r in await outbox.recorded(db, type=type)
    ]


def later(users: UserFactory, clock, delta: timedelta, *people: TestUser) -> list[TestUser]:
    """Move the clock, and give each person a token that is valid at the new time."""
    clock.advance(delta)
    return [replace(p, token=users.token(p.id)) for p in people]


def uid() -> str:
    return str(uuid.uuid4())
