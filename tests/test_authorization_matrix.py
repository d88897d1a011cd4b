"""The authorization table (docs/authorization.md, rendered from tests/authz/table_*.py): every
route and socket event has a row, the committed document is the one the rows render, and every
cell holds against the app: each route called as each of nine callers, each socket event sent
by each of them on a real Socket.IO client."""

from __future__ import annotations

import asyncio

import pytest

from server.settings import Settings
from tests.authz import doc
from tests.authz.model import Outcome
from tests.authz.table import ROWS, declared_events, declared_routes
from tests.authz.targets import Targets
from tests.authz.walk import Walk
from tests.authz.world import make_people, new_course, ok
from tests.course_helpers import API, enroll


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.forum_post_limit = 1000  # the walk posts a lot; the limit has its own test
    # The student's notifications are written by the consumer, as in production.
    settings.consumers_enabled = True
    settings.consumer_poll_seconds = 0.1
    return settings


def test_every_route_and_event_has_a_row_and_every_row_a_route(app):
    rows = [row.key for row in ROWS]
    assert len(rows) == len(set(rows)), "a route or event has two rows"
    declared = declared_routes(app) | declared_events()
    assert not declared - set(rows), f"no row in tests/authz/table_*.py: {declared - set(rows)}"
    assert not set(rows) - declared, f"rows for nothing the app declares: {set(rows) - declared}"


def test_the_committed_document_is_the_table():
    assert doc.PATH.read_text() == doc.render(), (
        "docs/authorization.md is not the table: run `python -m tests.authz.doc`"
    )


async def student_notifications(client, people, at_least: int) -> list[str]:
    """The consumer turns the published assignments into the student's notifications."""
    async with asyncio.timeout(30):
        while True:
            resp = await client.get(f"{API}/notifications", headers=people.student.headers)
            items = (await ok(resp))["items"]
            if len(items) >= at_least:
                return [n["id"] for n in items]
            await asyncio.sleep(0.1)


def mismatches(cells: dict, rows) -> list[str]:
    out = []
    for row in rows:
        for role, expected in row.outcomes.items():
            got: Outcome = cells[(row.key, role)]
            same = got.served if expected.served else got == expected
            if not same:
                out.append(f"{row.method} {row.path} as {role}: "
                           f"expected {expected.text()}, got {got.text()}")  # fmt: skip
    return out


@pytest.mark.slow
async def test_every_cell_holds(client, users, admins, db):
    people = await make_people(client, users, admins, db)
    course_id = await new_course(client, people)
    await enroll(client, people.classmate, course_id)
    targets = Targets(client, users, people, course_id)
    for _ in range(3):  # each publication tells the student
        await targets.new_task()
    await targets.assignment()
    people.extra["notifications"] = await student_notifications(client, people, 3)
    walk = Walk(client, targets, people)
    cells = {}
    http = [row for row in ROWS if row.method != "EVENT"]
    for row in http:
        cells.update(await walk.route(row))
    events = [row for row in ROWS if row.method == "EVENT"]
    cells.update(await walk.sockets(events, str(client.make_url(""))))
    wrong = mismatches(cells, ROWS)
    assert not wrong, f"{len(wrong)} cells differ:\n" + "\n".join(wrong)
