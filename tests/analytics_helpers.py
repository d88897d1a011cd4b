"""A course with a history, for the analytics tests, built through the REST API.

Two students, four tasks of 3 points (times in UTC; weeks are Buenos Aires weeks unless said):

| task | due                          | BA week | Sam              | Sue                   |
|------|------------------------------|---------|------------------|-----------------------|
| A1   | 2026-01-12 02:30 (Sun 23:30 BA) | W02  | on time, 3 = 100 | on time, 3 = 100      |
| A2   | 2026-01-13 15:00             | W03     | on time, 1.5 = 50 | late (Jan 14), 2.4 = 80 |
| A3   | 2026-01-27 15:00             | W05     | missing          | on time, 2.7 = 90     |
| A4   | 2026-02-03 15:00             | W06     | missing          | on time, 3 = 100      |

W04 has nothing due. "Now" is 2026-02-05 12:00 UTC: Sam's last activity was on 2026-01-05
(31 days), he missed A3 and A4, and his average fell from 100 (W02) to 50 (W03).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.assignment_helpers import auto_questions, fresh, published, right_answers, submit
from tests.course_helpers import API, Cast, cast
from tests.factories import TestUser, UserFactory

DUE = {
    "A1": "2026-01-12T02:30:00+00:00",
    "A2": "2026-01-13T15:00:00+00:00",
    "A3": "2026-01-27T15:00:00+00:00",
    "A4": "2026-02-03T15:00:00+00:00",
}
NOW = datetime.fromisoformat("2026-02-05T12:00:00+00:00")
SCORES = {("sam", "A1"): 3, ("sam", "A2"): 1.5, ("sue", "A1"): 3, ("sue", "A2"): 2.4}
SCORES |= {("sue", "A3"): 2.7, ("sue", "A4"): 3}
COURSE_COMMENTS = {
    "sam": (4, "Muy buenos ejemplos prácticos, pero las tareas largas cansan."),
    "sue": (5, "Los ejemplos prácticos ayudan mucho; tareas largas igual."),
}
STAFF_COMMENTS = {
    "sam": [(3, "Buen comienzo; faltan las entregas pendientes."), (2, "Entregas pendientes.")],
    "sue": [(5, "Excelente constancia en todas las entregas.")],
}


@dataclass
class History:
    c: Cast
    sue: TestUser
    assignments: dict[str, dict[str, Any]]
    submissions: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def sam(self) -> TestUser:
        return self.c.student

    def headers(self, users: UserFactory, who: str) -> dict[str, str]:
        """Headers valid at the clock's current time; `who` is "sam", "sue" or a Cast role."""
        person = {"sam": self.c.student, "sue": self.sue}.get(who) or getattr(self.c, who)
        return fresh(users, person)


async def _handed_in(client, headers: dict, assignment: dict) -> str:
    resp = await submit(client, headers, assignment["id"], answers=right_answers()[:2])
    assert resp.status == 201, await resp.text()
    return (await resp.json())["id"]


async def course_history(client, users: UserFactory, clock, *, feedback: bool = True) -> History:
    c = await cast(client, users, "grade")
    sue = await users.create("Sue Student")
    resp = await client.post(f"{API}/courses/{c.course_id}/enrollments", headers=sue.headers)
    assert resp.status == 201, await resp.text()
    late_ok = {"accept_late": True, "penalty_percent_per_day": 0}
    tasks = {
        name: await published(
            client,
            c.owner,
            c.course_id,
            title=f"Task {name}",
            questions=auto_questions(),
            due_at=due,
            **({"late_policy": late_ok} if name == "A2" else {}),
        )
        for name, due in DUE.items()
    }
    h = History(c, sue, tasks)
    for key in (("sam", "A1"), ("sam", "A2"), ("sue", "A1")):
        h.submissions[key] = await _handed_in(client, h.headers(users, key[0]), tasks[key[1]])
    for when, task in (("01-14", "A2"), ("01-20", "A3"), ("02-02", "A4")):
        clock.set(datetime.fromisoformat(f"2026-{when}T10:00:00+00:00"))
        h.submissions[("sue", task)] = await _handed_in(
            client, h.headers(users, "sue"), tasks[task]
        )
    clock.set(NOW)
    owner = h.headers(users, "owner")
    for (who, task), score in SCORES.items():
        resp = await client.put(
            f"{API}/submissions/{h.submissions[(who, task)]}/grade",
            json={"score": score, "feedback": "ok"},
            headers=owner,
        )
        assert resp.status == 200, await resp.text()
    for task in tasks.values():
        resp = await client.post(f"{API}/assignments/{task['id']}/publish-grades", headers=owner)
        assert resp.status == 200, await resp.text()
    if feedback:
        await _feedback(client, users, h)
    return h


async def _feedback(client, users: UserFactory, h: History) -> None:
    for who, (rating, comment) in COURSE_COMMENTS.items():
        resp = await client.post(
            f"{API}/courses/{h.c.course_id}/feedback",
            json={"rating": rating, "comment": comment},
            headers=h.headers(users, who),
        )
        assert resp.status == 201, await resp.text()
    for who, items in STAFF_COMMENTS.items():
        person = h.sam if who == "sam" else h.sue
        for rating, comment in items:
            resp = await client.post(
                f"{API}/courses/{h.c.course_id}/students/{person.id}/feedback",
                json={"rating": rating, "comment": comment},
                headers=h.headers(users, "owner"),
            )
            assert resp.status == 201, await resp.text()


async def set_preferences(mongo, user: TestUser, **prefs: Any) -> None:
    """What the notifications feature stores for a user (`notification_preferences`)."""
    await mongo["notification_preferences"].update_one(
        {"_id": str(user.id)}, {"$set": prefs}, upsert=True
    )
