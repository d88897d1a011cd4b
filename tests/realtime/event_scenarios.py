"""One scenario per event type the server records (variants after a `/`): cause it through
REST (or, for reminders, through time and the reminder job), with real Socket.IO clients
listening, and say who must receive it, on which stream, and who must not.

`test_event_delivery.py` runs them and checks that together they cover every type
`event_types.recorded_event_types()` finds in the server's source.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from server.jobs.deadline_reminders import run_due_reminders
from server.keys import PG_POOL
from tests.assignment_helpers import START, create_assignment, published, submit
from tests.course_helpers import API, Cast, cast, create_course, enroll
from tests.factories import TestUser
from tests.realtime.conftest import Recorder, relayed


@dataclass
class Expect:
    hear: list[tuple[Recorder, str]]  # (socket, stream the event must arrive on)
    not_hear: list[Recorder] = field(default_factory=list)


Scenario = Callable[["World"], Awaitable[Expect]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(key: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        assert key not in SCENARIOS, key
        SCENARIOS[key] = fn
        return fn

    return register


def user(u: TestUser) -> str:
    return f"user:{u.id}"


def course(cid: str) -> str:
    return f"course:{cid}"


def staff(cid: str) -> str:
    return f"course:{cid}:staff"


class World:
    """The app, its users and their sockets, for one scenario."""

    def __init__(self, client, users, sockets, app, clock) -> None:
        self.client, self.users, self.sockets, self.app, self.clock = (
            client, users, sockets, app, clock,
        )  # fmt: skip
        self.listener: dict[Recorder, TestUser] = {}
        self.google: Any = None  # the fake Google sign-in (tests.fakes.google_certs)

    async def cast(self) -> Cast:
        """A course with an owner, an enrolled student, a stranger and two assistants (one
        allowed to grade), plus `self.classmate`: a second enrolled student."""
        c = await cast(self.client, self.users, "grade")
        self.classmate = await self.users.create("Cleo Classmate")
        await enroll(self.client, self.classmate, c.course_id)
        return c

    async def listen(self, *people: TestUser) -> list[Recorder]:
        # What happened before they listen (the cast's own events) reaches their sockets
        # through the log, never live: under load the relay may still be behind it.
        async with self.app[PG_POOL].acquire() as conn:
            await relayed(conn, within=30)
        made = []
        for person in people:
            token = self.users.token(person.id)  # valid at the clock's time
            rec = await self.sockets().connect(token)
            self.listener[rec] = person
            made.append(rec)
        return made

    async def call(self, method: str, path: str, actor: TestUser, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.users.token(actor.id)}"}
        resp = await self.client.request(method, API + path, json=body, headers=headers)
        assert resp.status in (200, 201, 204), (path, resp.status, await resp.text())
        return await resp.json() if resp.status != 204 else None


@scenario("course.created")
async def _course_created(w: World) -> Expect:
    teacher, stranger = await w.users.create("Tess"), await w.users.create("Xavi")
    t, x = await w.listen(teacher, stranger)
    await create_course(w.client, teacher)
    return Expect([(t, user(teacher))], [x])


@scenario("course.updated")
async def _course_updated(w: World) -> Expect:
    c = await w.cast()
    o, s, x = await w.listen(c.owner, c.student, c.other)
    await w.call("PATCH", f"/courses/{c.course_id}", c.owner, {"title": "Renamed"})
    return Expect([(o, course(c.course_id)), (s, course(c.course_id))], [x])


@scenario("course.deleted")
async def _course_deleted(w: World) -> Expect:
    c = await w.cast()
    s, x = await w.listen(c.student, c.other)
    await w.call("DELETE", f"/courses/{c.course_id}", c.owner)
    return Expect([(s, course(c.course_id))], [x])


@scenario("favorite.changed")
async def _favorite_changed(w: World) -> Expect:
    c = await w.cast()
    s, o, m = await w.listen(c.student, c.owner, w.classmate)
    await w.call("PUT", f"/courses/{c.course_id}/favorite", c.student)
    return Expect([(s, user(c.student))], [o, m])


@scenario("enrollment.created")
async def _enrollment_created(w: World) -> Expect:
    c = await w.cast()
    newcomer = await w.users.create("Nina New")
    n, o, s, x = await w.listen(newcomer, c.owner, c.student, c.other)
    await w.call("POST", f"/courses/{c.course_id}/enrollments", newcomer)
    return Expect([(n, user(newcomer)), (o, staff(c.course_id))], [s, x])


@scenario("enrollment.removed")
async def _enrollment_removed(w: World) -> Expect:
    c = await w.cast()
    s, o, m, x = await w.listen(c.student, c.owner, w.classmate, c.other)
    await w.call("DELETE", f"/courses/{c.course_id}/enrollments/me", c.student)
    return Expect([(s, user(c.student)), (o, staff(c.course_id))], [m, x])


@scenario("member.status_changed")
async def _member_status_changed(w: World) -> Expect:
    c = await w.cast()
    s, m, x = await w.listen(c.student, w.classmate, c.other)
    path = f"/courses/{c.course_id}/members/{c.student.id}"
    await w.call("PATCH", path, c.owner, {"status": "approved"})
    return Expect([(s, user(c.student))], [m, x])


@scenario("assistant.assigned")
async def _assistant_assigned(w: World) -> Expect:
    c = await w.cast()
    helper = await w.users.create("Hal Helper")
    h, o, s, x = await w.listen(helper, c.owner, c.student, c.other)
    path = f"/courses/{c.course_id}/assistants/{helper.id}"
    await w.call("PUT", path, c.owner, {"permissions": {"grade": True}})
    return Expect([(h, user(helper)), (o, staff(c.course_id))], [s, x])


@scenario("assistant.revoked")
async def _assistant_revoked(w: World) -> Expect:
    c = await w.cast()
    a, o, s, x = await w.listen(c.assistant_with, c.owner, c.student, c.other)
    await w.call("DELETE", f"/courses/{c.course_id}/assistants/{c.assistant_with.id}", c.owner)
    return Expect([(a, user(c.assistant_with)), (o, staff(c.course_id))], [s, x])


@scenario("module.changed")
async def _module_changed(w: World) -> Expect:
    c = await w.cast()
    o, s, x = await w.listen(c.owner, c.student, c.other)
    await w.call("POST", f"/courses/{c.course_id}/modules", c.owner, {"title": "Week 1"})
    return Expect([(o, course(c.course_id)), (s, course(c.course_id))], [x])


@scenario("modules.reordered")
async def _modules_reordered(w: World) -> Expect:
    c = await w.cast()
    path = f"/courses/{c.course_id}/modules"
    ids = [(await w.call("POST", path, c.owner, {"title": t}))["id"] for t in "AB"]
    s, x = await w.listen(c.student, c.other)
    await w.call("PUT", f"{path}/order", c.owner, {"ids": ids[::-1]})
    return Expect([(s, course(c.course_id))], [x])


@scenario("resource.changed")
async def _resource_changed(w: World) -> Expect:
    c = await w.cast()
    module = await w.call("POST", f"/courses/{c.course_id}/modules", c.owner, {"title": "W1"})
    s, x = await w.listen(c.student, c.other)
    link = {"kind": "link", "title": "Docs", "url": "https://example.org/docs"}
    await w.call("POST", f"/modules/{module['id']}/resources", c.owner, link)
    return Expect([(s, course(c.course_id))], [x])


@scenario("assignment.created")
async def _assignment_created(w: World) -> Expect:
    c = await w.cast()
    o, a, s, x = await w.listen(c.owner, c.assistant_with, c.student, c.other)
    await create_assignment(w.client, c.owner, c.course_id)  # a draft: staff only
    return Expect([(o, staff(c.course_id)), (a, staff(c.course_id))], [s, x])


@scenario("assignment.updated")
async def _assignment_updated(w: World) -> Expect:
    c = await w.cast()
    done = await published(w.client, c.owner, c.course_id)
    s, x = await w.listen(c.student, c.other)
    await w.call("PATCH", f"/assignments/{done['id']}", c.owner, {"title": "Homework 1b"})
    return Expect([(s, course(c.course_id))], [x])


@scenario("assignment.updated/draft")
async def _draft_updated(w: World) -> Expect:
    c = await w.cast()
    draft = await create_assignment(w.client, c.owner, c.course_id)
    o, s, x = await w.listen(c.owner, c.student, c.other)
    await w.call("PATCH", f"/assignments/{draft['id']}", c.owner, {"title": "Secret plan"})
    return Expect([(o, staff(c.course_id))], [s, x])


@scenario("assignment.published")
async def _assignment_published(w: World) -> Expect:
    c = await w.cast()
    draft = await create_assignment(w.client, c.owner, c.course_id)
    s, x = await w.listen(c.student, c.other)
    await w.call("POST", f"/assignments/{draft['id']}/publish", c.owner)
    return Expect([(s, course(c.course_id))], [x])


@scenario("assignment.deleted")
async def _assignment_deleted(w: World) -> Expect:
    c = await w.cast()
    done = await published(w.client, c.owner, c.course_id)
    s, x = await w.listen(c.student, c.other)
    await w.call("DELETE", f"/assignments/{done['id']}", c.owner)
    return Expect([(s, course(c.course_id))], [x])


async def _submitted(w: World, c: Cast) -> tuple[str, str]:
    done = await published(w.client, c.owner, c.course_id)
    resp = await submit(w.client, c.student, done["id"])
    assert resp.status == 201, await resp.text()
    return done["id"], (await resp.json())["id"]


@scenario("submission.created")
async def _submission_created(w: World) -> Expect:
    c = await w.cast()
    done = await published(w.client, c.owner, c.course_id)
    o, m, x = await w.listen(c.owner, w.classmate, c.other)
    assert (await o.call("watch", {"assignment_id": done["id"]}))["ok"] is True
    assert (await submit(w.client, c.student, done["id"])).status == 201
    watched = f"assignment:{done['id']}:submissions"
    return Expect([(o, staff(c.course_id)), (o, watched)], [m, x])


@scenario("submission.updated")
async def _submission_updated(w: World) -> Expect:
    c = await w.cast()
    _, submission_id = await _submitted(w, c)
    o, s, x = await w.listen(c.owner, c.student, c.other)
    body = {"feedback": "Nearly.", "question_scores": {"q3": 2}}
    await w.call("PUT", f"/submissions/{submission_id}/grade", c.owner, body)
    return Expect([(o, staff(c.course_id))], [s, x])  # a draft grade stays with the staff


@scenario("grade.published")
async def _grade_published(w: World) -> Expect:
    c = await w.cast()
    _, submission_id = await _submitted(w, c)
    body = {"feedback": "Well done.", "question_scores": {"q3": 3}}
    await w.call("PUT", f"/submissions/{submission_id}/grade", c.owner, body)
    s, o, m, x = await w.listen(c.student, c.owner, w.classmate, c.other)
    await w.call("POST", f"/submissions/{submission_id}/publish-grade", c.owner)
    return Expect([(s, user(c.student))], [o, m, x])


@scenario("feedback.received/course")
async def _course_rated(w: World) -> Expect:
    c = await w.cast()
    o, m, x = await w.listen(c.owner, w.classmate, c.other)
    await w.call("POST", f"/courses/{c.course_id}/feedback", c.student, {"rating": 4})
    return Expect([(o, staff(c.course_id))], [m, x])


@scenario("feedback.received/student")
async def _student_rated(w: World) -> Expect:
    c = await w.cast()
    s, o, m, x = await w.listen(c.student, c.owner, w.classmate, c.other)
    path = f"/courses/{c.course_id}/students/{c.student.id}/feedback"
    await w.call("POST", path, c.owner, {"rating": 5, "comment": "Keep it up"})
    return Expect([(s, user(c.student)), (o, staff(c.course_id))], [m, x])


@scenario("deadline.reminder")
async def _deadline_reminder(w: World) -> Expect:
    c = await w.cast()
    done = await published(w.client, c.owner, c.course_id)  # due START + 2 days
    assert (await submit(w.client, w.classmate, done["id"])).status == 201
    w.clock.set(START + timedelta(days=1))  # the 24 h reminder is due
    s, m, x = await w.listen(c.student, w.classmate, c.other)
    assert await run_due_reminders(w.app) == 1
    return Expect([(s, user(c.student))], [m, x])  # the classmate has handed in
