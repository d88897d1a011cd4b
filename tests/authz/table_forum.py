"""The course forum. Every row acts on a thread the classmate wrote (with the classmate's
answer, endorsed by the owner), so nobody in the columns is the author; moderation is for the
course's staff, whatever their permissions."""

from __future__ import annotations

from tests.authz.model import MEMBERS, STAFF, Row, user_route

F = "/api/v1/forum"
T = F + "/threads/{thread_id}"
AN = F + "/answers/{answer_id}"


def members(**kw):
    return user_route(MEMBERS, **kw)


def staff(**kw):
    return user_route(STAFF, **kw)


TITLE = "The course forum"
ROWS = [
    Row("POST", "/api/v1/courses/{course_id}/forum/threads", "course", members(),
        body={"title": "A question", "body": "How?"}),
    Row("GET", "/api/v1/courses/{course_id}/forum/threads", "course", members(),
        params={"q": "project"}),
    Row("GET", T, "thread", members()),
    Row("PATCH", T, "thread", staff(), body={"pinned": True}),
    Row("DELETE", T, "thread", staff(), params={"reason": "Off topic"}, fresh=True),
    Row("POST", T + "/answers", "thread", members(), body={"body": "An answer"}),
    Row("PATCH", AN, "thread", staff(), body={"body": "Edited by the staff"}),
    Row("DELETE", AN, "thread", staff(), params={"reason": "Spam"}, fresh=True),
    Row("POST", AN + "/accept", "thread", staff(), fresh=True),
    Row("PUT", T + "/vote", "thread", members(), body={"value": 1}),
    Row("PUT", AN + "/vote", "thread", members(), body={"value": -1}),
    Row("POST", T + "/endorse", "thread", staff()),
    Row("DELETE", T + "/endorse", "thread", staff()),
    Row("POST", AN + "/endorse", "thread", staff()),
    Row("DELETE", AN + "/endorse", "thread", staff()),
    Row("PUT", T + "/follow", "thread", members()),
    Row("DELETE", T + "/follow", "thread", members()),
    Row("GET", T + "/history", "thread", members()),
    Row("GET", AN + "/history", "thread", members()),
]  # fmt: skip
