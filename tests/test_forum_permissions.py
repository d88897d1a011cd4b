"""Administration's `can_post_forum`: withdrawn, the user reads but publishes nothing (a thread,
an answer, an edit), from the very next request; given back, they post again."""

from __future__ import annotations

from tests.admin_helpers import ADMIN_API
from tests.course_helpers import API
from tests.forum_helpers import answer, ask, error_of, forum, read


async def test_a_user_without_can_post_forum_reads_but_does_not_post(client, users, admins, db):
    f = await forum(client, users)
    admin = await admins.create()
    thread = await ask(client, f.student, f.course_id)
    reply = await answer(client, f.student, thread["id"])

    async def allow(value: bool) -> None:
        resp = await client.patch(
            f"{ADMIN_API}/users/{f.student.id}/permissions",
            json={"can_post_forum": value},
            headers=admin.headers,
        )
        assert resp.status == 200, await resp.text()

    await allow(False)
    before = await db.fetchval("SELECT count(*) FROM forum_posts")
    for resp in (
        await client.post(
            f"{API}/courses/{f.course_id}/forum/threads",
            json={"title": "Another question", "body": "?"},
            headers=f.student.headers,
        ),
        await client.post(
            f"{API}/forum/threads/{thread['id']}/answers", json={"body": "x"},
            headers=f.student.headers,
        ),
        await client.patch(
            f"{API}/forum/threads/{thread['id']}", json={"body": "edited"},
            headers=f.student.headers,
        ),
        await client.patch(
            f"{API}/forum/answers/{reply['id']}", json={"body": "edited"},
            headers=f.student.headers,
        ),
    ):  # fmt: skip
        assert await error_of(resp) == (403, "permission_withdrawn")
    assert await db.fetchval("SELECT count(*) FROM forum_posts") == before
    assert await db.fetchval("SELECT count(*) FROM forum_post_versions") == 0
    assert (await read(client, f.student, thread["id"]))["body"] == "I am **stuck** on step one."
    await answer(client, f.classmate, thread["id"])  # only that user is concerned
    await allow(True)
    await answer(client, f.student, thread["id"], body="Back again")
