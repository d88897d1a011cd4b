"""End to end: the weekly digest reaches the course's staff over Socket.IO, and no student."""

from __future__ import annotations

from server.domain.events import user_stream
from server.jobs.at_risk_digest import run_at_risk_digests
from tests.analytics_helpers import course_history
from tests.realtime.conftest import record


async def test_staff_sockets_receive_the_digest(client, sockets, users, db, clock, app):
    h = await course_history(client, users, clock, feedback=False)
    people = {"owner": h.c.owner, "assistant": h.c.assistant_without, "sam": h.sam, "sue": h.sue}
    recs = {name: await sockets().connect(users.token(p.id)) for name, p in people.items()}
    assert await run_at_risk_digests(app) == 1
    await record(db, "probe.last", *(user_stream(p.id) for p in people.values()), at=clock.now())
    for rec in recs.values():
        await rec.wait_for("probe.last")
    for name in ("owner", "assistant"):
        [digest] = recs[name].of("course.at_risk_digest")
        assert digest["stream"] == f"course:{h.c.course_id}:staff"
        assert digest["data"]["students"][0]["name"] == "Sam Student"
    for name in ("sam", "sue"):
        assert recs[name].of("course.at_risk_digest") == []
