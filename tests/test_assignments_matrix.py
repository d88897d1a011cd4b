"""The authorization matrix: every assignments route x {anonymous, other user, enrolled student,
assistant without the permission, assistant with it, owner}."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.assignment_helpers import (
    PDF,
    assignment_body,
    auto_questions,
    create_assignment,
    published,
    right_answers,
    submit,
    upload,
)
from tests.course_helpers import API, Cast, cast

ROLES = ("anonymous", "other", "student", "assistant_without", "assistant_with", "owner")


@dataclass
class Env:
    client: Any
    c: Cast
    a: dict  # published task, the student has handed in `s`
    s: dict
    file_id: str

    async def fresh_published(self, **kw: Any) -> dict:
        return await published(self.client, self.c.owner, self.c.course_id, **kw)


def call(method: str, path: str, body: Any = None):
    async def go(env: Env, headers: dict) -> Any:
        url = API + path.format(cid=env.c.course_id, a=env.a["id"], s=env.s["id"], f=env.file_id)
        return await env.client.request(method, url, json=body, headers=headers)

    return go


async def delete_fresh(env: Env, headers: dict):
    target = await env.fresh_published()
    return await env.client.delete(f"{API}/assignments/{target['id']}", headers=headers)


async def publish_fresh(env: Env, headers: dict):
    draft = await create_assignment(env.client, env.c.owner, env.c.course_id)
    return await env.client.post(f"{API}/assignments/{draft['id']}/publish", headers=headers)


async def read_draft(env: Env, headers: dict):
    draft = await create_assignment(env.client, env.c.owner, env.c.course_id)
    return await env.client.get(f"{API}/assignments/{draft['id']}", headers=headers)


async def start_exam(env: Env, headers: dict):
    exam = await env.fresh_published(kind="exam", time_limit_minutes=30)
    return await env.client.post(f"{API}/assignments/{exam['id']}/attempts", headers=headers)


async def submit_fresh(env: Env, headers: dict):
    task = await env.fresh_published(questions=auto_questions())
    return await submit(env.client, headers, task["id"], answers=right_answers()[:2])


async def publish_graded(env: Env, headers: dict):
    await env.client.put(
        f"{API}/submissions/{env.s['id']}/grade", json={"score": 3}, headers=env.c.owner.headers
    )
    return await env.client.post(f"{API}/submissions/{env.s['id']}/publish-grade", headers=headers)


async def upload_file(env: Env, headers: dict):
    return await upload(env.client, headers, PDF, "x.pdf", "application/pdf")


# Someone else's assignment is hidden from non-members, published or not (a 403 would tell
# them it exists); course-level routes answer 403.
OK, NO, HIDDEN, ANON = 200, 403, 404, 401
MATRIX: dict[str, tuple[str, Any, tuple[int, ...]]] = {
    "create": (
        "edit_content",
        call("POST", "/courses/{cid}/assignments", assignment_body()),
        (ANON, NO, NO, NO, 201, 201),
    ),
    "list": ("edit_content", call("GET", "/courses/{cid}/assignments"), (ANON, NO, OK, OK, OK, OK)),
    "read": ("edit_content", call("GET", "/assignments/{a}"), (ANON, HIDDEN, OK, OK, OK, OK)),
    "read draft": ("edit_content", read_draft, (ANON, HIDDEN, HIDDEN, OK, OK, OK)),
    "patch": (
        "edit_content",
        call("PATCH", "/assignments/{a}", {"title": "Renamed"}),
        (ANON, HIDDEN, NO, NO, OK, OK),
    ),
    "delete": ("edit_content", delete_fresh, (ANON, HIDDEN, NO, NO, 204, 204)),
    "publish": ("edit_content", publish_fresh, (ANON, HIDDEN, HIDDEN, NO, OK, OK)),
    "attempt": ("grade", start_exam, (ANON, HIDDEN, 201, NO, NO, NO)),
    "submit": ("grade", submit_fresh, (ANON, HIDDEN, 201, NO, NO, NO)),
    "my history": (
        "grade",
        call("GET", "/assignments/{a}/submissions/me"),
        (ANON, HIDDEN, OK, NO, NO, NO),
    ),
    "staff list": (
        "grade",
        call("GET", "/assignments/{a}/submissions"),
        (ANON, HIDDEN, NO, OK, OK, OK),
    ),
    "submission": ("grade", call("GET", "/submissions/{s}"), (ANON, HIDDEN, OK, OK, OK, OK)),
    "grade": (
        "grade",
        call("PUT", "/submissions/{s}/grade", {"score": 2}),
        (ANON, HIDDEN, NO, NO, OK, OK),
    ),
    "publish grade": ("grade", publish_graded, (ANON, HIDDEN, NO, NO, OK, OK)),
    "publish grades": (
        "grade",
        call("POST", "/assignments/{a}/publish-grades"),
        (ANON, HIDDEN, NO, NO, OK, OK),
    ),
    "stats": ("grade", call("GET", "/courses/{cid}/stats"), (ANON, NO, NO, OK, OK, OK)),
    "activities": ("grade", call("GET", "/users/me/activities"), (ANON, OK, OK, OK, OK, OK)),
    "my stats": ("grade", call("GET", "/users/me/stats"), (ANON, OK, OK, OK, OK, OK)),
    "upload": ("grade", upload_file, (ANON, 201, 201, 201, 201, 201)),
    "file": ("grade", call("GET", "/files/{f}"), (ANON, HIDDEN, OK, OK, OK, OK)),
}


@pytest.mark.parametrize("route", list(MATRIX))
async def test_matrix(client, users, route):
    permission, request, expected = MATRIX[route]
    c = await cast(client, users, permission)
    questions = [*auto_questions(), {"id": "f1", "kind": "file", "prompt": "Essay", "points": 2}]
    a = await published(client, c.owner, c.course_id, questions=questions, max_attempts=5)
    up = await (await upload(client, c.student, PDF, "essay.pdf", "application/pdf")).json()
    answers = [*right_answers()[:2], {"question_id": "f1", "file_id": up["file_id"]}]
    s = await (await submit(client, c.student, a["id"], answers=answers)).json()
    env = Env(client, c, a, s, up["file_id"])
    got = {}
    for role in ROLES:
        resp = await request(env, c.headers(role))
        got[role] = resp.status
    assert got == dict(zip(ROLES, expected, strict=True))
