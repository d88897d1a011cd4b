"""The people of the authorization walk and the course they share, made once per walk through
the real routes (sign-up, enrolment, assistants, blocking by an admin).

- `anonymous`: no token at all.
- `unverified`: signed up, never proved the address; holds an access token made with the
  server's key (the strongest credential it could have).
- `blocked`: an active user an admin blocked; holds a token of its current version.
- `stranger`: an active user in no course.
- `student`: enrolled in the course; `classmate`, enrolled too, writes what the student reads.
- assistants of the course: for a route that one permission decides, `assistant without` has
  every permission but that one and `assistant with` only that one; elsewhere `assistant without`
  has none and `assistant with` all three.
- `owner`: created the course. `admin`: an admin-realm token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from server.keys import PASSWORDS
from tests.admin_helpers import AdminFactory, TestAdmin
from tests.course_helpers import API, course_body, enroll
from tests.factories import TestUser, UserFactory

PERMISSIONS = ("edit_content", "grade", "communicate")
PASSWORD = "correct horse battery staple"


@dataclass
class People:
    owner: TestUser
    student: TestUser
    classmate: TestUser
    stranger: TestUser
    unverified: TestUser
    blocked: TestUser
    # ("without" | "with", permission or None) -> assistant
    assistants: dict[tuple[str, str | None], TestUser]
    admin: TestAdmin
    extra: dict[str, Any] = field(default_factory=dict)

    def caller(self, role: str, permission: str | None) -> TestUser | TestAdmin | None:
        if role == "anonymous":
            return None
        if role.startswith("assistant_"):
            return self.assistants[(role.removeprefix("assistant_"), permission)]
        return getattr(self, role)

    def headers(self, role: str, permission: str | None) -> dict[str, str]:
        who = self.caller(role, permission)
        return {} if who is None else who.headers


def assistant_grants() -> dict[tuple[str, str | None], dict[str, bool]]:
    grants: dict[tuple[str, str | None], dict[str, bool]] = {
        ("without", None): {},
        ("with", None): dict.fromkeys(PERMISSIONS, True),
    }
    for p in PERMISSIONS:
        grants[("without", p)] = {q: True for q in PERMISSIONS if q != p}
        grants[("with", p)] = {p: True}
    return grants


async def ok(resp, status: int | tuple[int, ...] = (200, 201, 202, 204)) -> Any:
    statuses = (status,) if isinstance(status, int) else status
    assert resp.status in statuses, f"{resp.method} {resp.url}: {resp.status} {await resp.text()}"
    return await resp.json() if resp.content_type == "application/json" else None


async def new_course(client, p: People, **overrides: Any) -> str:
    """A course of the owner's with the student enrolled and every assistant in place."""
    resp = await client.post(
        f"{API}/courses", json=course_body(**overrides), headers=p.owner.headers
    )
    course_id = (await ok(resp, 201))["id"]
    await enroll(client, p.student, course_id)
    for key, perms in assistant_grants().items():
        await ok(
            await client.put(
                f"{API}/courses/{course_id}/assistants/{p.assistants[key].id}",
                json={"permissions": perms},
                headers=p.owner.headers,
            )
        )
    return course_id


async def sign_up_unverified(client, users: UserFactory, db) -> TestUser:
    email = f"unverified-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": PASSWORD, "name": "Uma Unverified"}
    await ok(await client.post(f"{API}/auth/register", json=body), 202)
    user_id = await db.fetchval("SELECT id FROM users WHERE email = $1", email)
    assert not await db.fetchval("SELECT email_verified FROM users WHERE id = $1", user_id)
    return TestUser(user_id, email, "Uma Unverified", users.token(user_id))


async def make_people(client, users: UserFactory, admins: AdminFactory, db) -> People:
    admin = await admins.create("Ada Admin")
    blocked = await users.create("Bea Blocked")
    await ok(
        await client.post(
            f"{API}/admin/users/{blocked.id}/block", json={"reason": "spam"}, headers=admin.headers
        )
    )
    version = await db.fetchval("SELECT token_version FROM users WHERE id = $1", blocked.id)
    blocked = TestUser(blocked.id, blocked.email, blocked.name, users.token(blocked.id, version))
    assistants = {
        key: await users.create(f"Assistant {key[0]} {key[1]}") for key in assistant_grants()
    }
    people = People(
        owner=await users.create("Olga Owner"),
        student=await users.create("Sam Student"),
        classmate=await users.create("Carla Classmate"),
        stranger=await users.create("Stan Stranger"),
        unverified=await sign_up_unverified(client, users, db),
        blocked=blocked,
        assistants=assistants,
        admin=admin,
    )
    # Everyone signs in with a password (the routes about it refuse a wrong one, not a missing).
    password_hash = await users.app[PASSWORDS].hash(PASSWORD)
    everyone = [people.owner, people.student, people.classmate, people.stranger,
                *people.assistants.values()]  # fmt: skip
    await db.execute(
        "UPDATE users SET password_hash = $1 WHERE id = ANY($2::uuid[])",
        password_hash,
        [u.id for u in everyone],
    )
    return people
