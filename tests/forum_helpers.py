"""Helpers for the forum tests: a course with one member of each standing, and REST shortcuts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.course_helpers import API, create_course, enroll, make_assistant
from tests.factories import TestUser, UserFactory


@dataclass
class Forum:
    """A course whose members are the owner, an assistant, two students (`student` and
    `classmate`), a removed student; and a `stranger` outside it."""

    course_id: str
    owner: TestUser
    assistant: TestUser
    student: TestUser
    classmate: TestUser
    removed: TestUser
    stranger: TestUser

    def who(self, role: str) -> TestUser:
        return getattr(self, role)


async def forum(client, users: UserFactory, **course: Any) -> Forum:
    owner = await users.create("Olga Owner")
    course_id = (await create_course(client, owner, **course))["id"]
    assistant = await users.create("Andrés Assistant")
    student, classmate = await users.create("Sam Student"), await users.create("Carla Classmate")
    removed, stranger = await users.create("Rita Removed"), await users.create("Stan Stranger")
    await make_assistant(client, owner, course_id, assistant)  # no permissions needed
    for user in (student, classmate, removed):
        await enroll(client, user, course_id)
    resp = await client.patch(
        f"{API}/courses/{course_id}/members/{removed.id}",
        json={"status": "removed"},
        headers=owner.headers,
    )
    assert resp.status == 204, await resp.text()
    return Forum(course_id, owner, assistant, student, classmate, removed, stranger)


def thread_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "How do I start the project?",
        "body": "I am **stuck** on step one.",
        "tags": [],
    }
    body.update(overrides)
    return body


async def ask(client, user: TestUser, course_id: str, **overrides: Any) -> dict[str, Any]:
    resp = await client.post(
        f"{API}/courses/{course_id}/forum/threads",
        json=thread_body(**overrides),
        headers=user.headers,
    )
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def answer(client, user: TestUser, thread_id: str, **overrides: Any) -> dict[str, Any]:
    body = {"body": "Read the *first* chapter.", **overrides}
    resp = await client.post(
        f"{API}/forum/threads/{thread_id}/answers", json=body, headers=user.headers
    )
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def read(client, user: TestUser, thread_id: str) -> dict[str, Any]:
    resp = await client.get(f"{API}/forum/threads/{thread_id}", headers=user.headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def listing(client, user: TestUser, course_id: str, **query: Any) -> dict[str, Any]:
    resp = await client.get(
        f"{API}/courses/{course_id}/forum/threads", params=query, headers=user.headers
    )
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def error_of(resp) -> tuple[int, str]:
    return resp.status, (await resp.json())["error"]["code"]
