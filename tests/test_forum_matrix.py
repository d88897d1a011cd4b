"""The authorization matrix: every forum route x {anonymous, stranger, removed student, enrolled
student, assistant, owner}. Each call acts on a fresh thread (and answer) written by another
student, so nobody in the matrix is the author; authors' own rights are tested beside the
features."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from server.settings import Settings
from tests.course_helpers import API
from tests.forum_helpers import Forum, answer, ask, forum

ROLES = ("anonymous", "stranger", "removed", "classmate", "assistant", "owner")
ANON, NO, HIDDEN = 401, 403, 404


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.forum_post_limit = 1000  # the matrix posts a lot; the limit has its own test
    return settings


@dataclass(frozen=True)
class on_thread:
    """A request on a fresh thread by another student, with an answer by them too (endorsed,
    so withdrawing an endorsement has one to withdraw)."""

    method: str
    path: str
    body: Any = None
    private: bool = False
    params: dict[str, str] = field(default_factory=dict)

    async def __call__(self, client, f: Forum, headers: dict[str, str]) -> Any:
        thread = await ask(client, f.student, f.course_id, private=self.private)
        reply = await answer(client, f.student, thread["id"])
        await client.post(f"{API}/forum/answers/{reply['id']}/endorse", headers=f.owner.headers)
        url = API + self.path.format(cid=f.course_id, t=thread["id"], a=reply["id"])
        return await client.request(
            self.method, url, json=self.body, params=self.params, headers=headers
        )

    def route(self) -> tuple[str, str]:
        path = self.path.format(cid="{course_id}", t="{thread_id}", a="{answer_id}")
        return self.method, API + path


MATRIX: dict[str, tuple[on_thread, tuple[int, ...]]] = {
    "create thread": (
        on_thread("POST", "/courses/{cid}/forum/threads", {"title": "A question", "body": "?"}),
        (ANON, NO, NO, 201, 201, 201),
    ),
    "list threads": (
        on_thread("GET", "/courses/{cid}/forum/threads", params={"q": "project"}),
        (ANON, NO, NO, 200, 200, 200),
    ),
    "read thread": (on_thread("GET", "/forum/threads/{t}"), (ANON, NO, NO, 200, 200, 200)),
    "read private thread": (
        on_thread("GET", "/forum/threads/{t}", private=True),
        (ANON, NO, NO, HIDDEN, 200, 200),
    ),
    "edit thread": (
        on_thread("PATCH", "/forum/threads/{t}", {"body": "edited"}),
        (ANON, NO, NO, NO, 200, 200),
    ),
    "pin thread": (
        on_thread("PATCH", "/forum/threads/{t}", {"pinned": True}),
        (ANON, NO, NO, NO, 200, 200),
    ),
    "delete thread": (
        on_thread("DELETE", "/forum/threads/{t}", params={"reason": "Off topic"}),
        (ANON, NO, NO, NO, 204, 204),
    ),
    "answer": (
        on_thread("POST", "/forum/threads/{t}/answers", {"body": "An answer"}),
        (ANON, NO, NO, 201, 201, 201),
    ),
    "answer private thread": (
        on_thread("POST", "/forum/threads/{t}/answers", {"body": "An answer"}, private=True),
        (ANON, NO, NO, HIDDEN, 201, 201),
    ),
    "edit answer": (
        on_thread("PATCH", "/forum/answers/{a}", {"body": "edited"}),
        (ANON, NO, NO, NO, 200, 200),
    ),
    "delete answer": (
        on_thread("DELETE", "/forum/answers/{a}", params={"reason": "Spam"}),
        (ANON, NO, NO, NO, 204, 204),
    ),
    "accept answer": (
        on_thread("POST", "/forum/answers/{a}/accept"),
        (ANON, NO, NO, NO, 200, 200),
    ),
    "vote thread": (
        on_thread("PUT", "/forum/threads/{t}/vote", {"value": 1}),
        (ANON, NO, NO, 200, 200, 200),
    ),
    "vote answer": (
        on_thread("PUT", "/forum/answers/{a}/vote", {"value": -1}),
        (ANON, NO, NO, 200, 200, 200),
    ),
    "vote answer in a private thread": (
        on_thread("PUT", "/forum/answers/{a}/vote", {"value": 1}, private=True),
        (ANON, NO, NO, HIDDEN, 200, 200),
    ),
    "endorse thread": (
        on_thread("POST", "/forum/threads/{t}/endorse"),
        (ANON, NO, NO, NO, 204, 204),
    ),
    "withdraw thread endorsement": (
        on_thread("DELETE", "/forum/threads/{t}/endorse"),
        (ANON, NO, NO, NO, 204, 204),
    ),
    "endorse answer": (
        on_thread("POST", "/forum/answers/{a}/endorse"),
        (ANON, NO, NO, NO, 204, 204),
    ),
    "withdraw answer endorsement": (
        on_thread("DELETE", "/forum/answers/{a}/endorse"),
        (ANON, NO, NO, NO, 204, 204),
    ),
    "follow": (on_thread("PUT", "/forum/threads/{t}/follow"), (ANON, NO, NO, 204, 204, 204)),
    "unfollow": (
        on_thread("DELETE", "/forum/threads/{t}/follow"),
        (ANON, NO, NO, 204, 204, 204),
    ),
    "thread history": (
        on_thread("GET", "/forum/threads/{t}/history"),
        (ANON, NO, NO, 200, 200, 200),
    ),
    "answer history": (
        on_thread("GET", "/forum/answers/{a}/history"),
        (ANON, NO, NO, 200, 200, 200),
    ),
    "answer history in a private thread": (
        on_thread("GET", "/forum/answers/{a}/history", private=True),
        (ANON, NO, NO, HIDDEN, 200, 200),
    ),
}


def headers_of(f: Forum, role: str) -> dict[str, str]:
    if role == "anonymous":
        return {}
    return f.who(role).headers


@pytest.mark.parametrize("route", list(MATRIX))
async def test_matrix(client, users, route):
    request, expected = MATRIX[route]
    f = await forum(client, users)
    got = {}
    for role in ROLES:
        resp = await request(client, f, headers_of(f, role))
        got[role] = resp.status
    assert got == dict(zip(ROLES, expected, strict=True))


def test_every_forum_route_is_in_the_matrix():
    from server.handlers import forum as thread_routes
    from server.handlers import forum_posts

    declared = {
        (ep.method, ep.path)
        for table in (thread_routes.routes, forum_posts.routes)
        for ep in table.endpoints
    }
    assert declared == {call.route() for call, _ in MATRIX.values()}
