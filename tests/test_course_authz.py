"""Authorization as a matrix: every course route x {anonymous, other user, enrolled student,
assistant without the permission, assistant with it, owner}.

Each row names the permission the assistants are cast around and the status each role gets;
a refused request must also leave the tables as they were.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.course_helpers import API, cast

ROLES = ("anonymous", "other", "student", "assistant_without", "assistant_with", "owner")


def expect(ok: int, allowed: set[str], denied: int = 403, **special: int) -> dict[str, int]:
    out = {r: (ok if r in allowed else denied) for r in ROLES}
    out["anonymous"] = 401
    out.update(special)
    return out


EDIT = {"assistant_with", "owner"}
STAFF = {"assistant_without", "assistant_with", "owner"}
MEMBERS = STAFF | {"student"}
EVERYONE = MEMBERS | {"other"}

# name, method, path, body, permission the assistants are cast around, expected statuses
MATRIX: list[tuple[str, str, str, Any, str, dict[str, int]]] = [
    ("detail", "GET", "/courses/{c}", None, "edit_content", expect(200, EVERYONE)),
    ("patch course", "PATCH", "/courses/{c}", {"syllabus": "x"}, "edit_content", expect(200, EDIT)),
    ("delete course", "DELETE", "/courses/{c}", None, "edit_content", expect(204, {"owner"})),
    (
        "enroll",
        "POST",
        "/courses/{c}/enrollments",
        None,
        "grade",
        expect(201, {"other"}, denied=409),
    ),
    (
        "leave",
        "DELETE",
        "/courses/{c}/enrollments/me",
        None,
        "grade",
        expect(204, {"student"}, denied=404),
    ),
    ("members", "GET", "/courses/{c}/members", None, "grade", expect(200, MEMBERS)),
    (
        "member status",
        "PATCH",
        "/courses/{c}/members/{student}",
        {"status": "approved"},
        "grade",
        expect(204, EDIT),
    ),
    (
        "assign assistant",
        "PUT",
        "/courses/{c}/assistants/{other}",
        {"permissions": {}},
        "grade",
        expect(200, {"owner"}),
    ),
    (
        "revoke assistant",
        "DELETE",
        "/courses/{c}/assistants/{assistant_without}",
        None,
        "grade",
        expect(204, {"owner"}),
    ),
    ("activity", "GET", "/courses/{c}/activity", None, "grade", expect(200, {"owner"})),
    ("favorite", "PUT", "/courses/{c}/favorite", None, "grade", expect(204, EVERYONE)),
    ("modules", "GET", "/courses/{c}/modules", None, "edit_content", expect(200, MEMBERS)),
    (
        "add module",
        "POST",
        "/courses/{c}/modules",
        {"title": "M"},
        "edit_content",
        expect(201, EDIT),
    ),
    (
        "reorder modules",
        "PUT",
        "/courses/{c}/modules/order",
        "ORDER",
        "edit_content",
        expect(200, EDIT),
    ),
    ("patch module", "PATCH", "/modules/{m}", {"title": "N"}, "edit_content", expect(200, EDIT)),
    ("delete module", "DELETE", "/modules/{m}", None, "edit_content", expect(204, EDIT)),
    (
        "add resource",
        "POST",
        "/modules/{m}/resources",
        {"kind": "link", "title": "L", "url": "https://example.org"},
        "edit_content",
        expect(201, EDIT),
    ),
    (
        "patch resource",
        "PATCH",
        "/resources/{r}",
        {"title": "T"},
        "edit_content",
        expect(200, EDIT),
    ),
    ("delete resource", "DELETE", "/resources/{r}", None, "edit_content", expect(204, EDIT)),
    (
        "reorder resources",
        "PUT",
        "/modules/{m}/resources/order",
        "RORDER",
        "edit_content",
        expect(200, EDIT),
    ),
    (
        "rate course",
        "POST",
        "/courses/{c}/feedback",
        {"rating": 4},
        "grade",
        expect(201, {"student"}),
    ),
    ("course feedback", "GET", "/courses/{c}/feedback", None, "grade", expect(200, STAFF)),
    (
        "rate student",
        "POST",
        "/courses/{c}/students/{student}/feedback",
        {"rating": 4},
        "grade",
        expect(201, EDIT),
    ),
]


async def _tables(db) -> dict[str, int]:
    names = [
        "courses",
        "course_members",
        "course_modules",
        "course_resources",
        "course_feedback",
        "student_feedback",
        "course_favorites",
        "outbox",
    ]
    return {n: await db.fetchval(f"SELECT count(*) FROM {n}") for n in names}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "path", "body", "permission", "statuses"),
    MATRIX,
    ids=[row[0] for row in MATRIX],
)
async def test_matrix(client, users, db, role, name, method, path, body, permission, statuses):
    c = await cast(client, users, permission)
    owner = c.owner.headers
    mod = await (
        await client.post(
            f"{API}/courses/{c.course_id}/modules", json={"title": "M0"}, headers=owner
        )
    ).json()
    res = await (
        await client.post(
            f"{API}/modules/{mod['id']}/resources",
            json={"kind": "link", "title": "R0", "url": "https://example.org"},
            headers=owner,
        )
    ).json()
    if body == "ORDER":
        body = {"ids": [mod["id"]]}
    elif body == "RORDER":
        body = {"ids": [res["id"]]}
    url = API + path.format(
        c=c.course_id,
        m=mod["id"],
        r=res["id"],
        student=c.student.id,
        other=c.other.id,
        assistant_without=c.assistant_without.id,
    )
    before = await _tables(db)
    kwargs = {"headers": c.headers(role)}
    if body is not None:
        kwargs["json"] = body
    resp = await client.request(method, url, **kwargs)
    assert resp.status == statuses[role], f"{name} as {role}: {await resp.text()}"
    if resp.status >= 400:
        assert await _tables(db) == before
        assert "error" in await resp.json()
