"""Every event type the server records, caused end to end (REST in, a real Socket.IO client
out): its audience receives it on the right stream, and a wrong audience does not. A type
recorded anywhere in `server/` without a scenario in `event_scenarios.py` fails the suite."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from server.settings import Settings
from tests.fakes.google_certs import FakeGoogle
from tests.realtime import account_scenarios, admin_scenarios  # noqa: F401 (register scenarios)
from tests.realtime.conftest import Recorder, record
from tests.realtime.event_scenarios import SCENARIOS, World
from tests.realtime.event_types import recorded_event_types


@pytest.fixture
def settings(settings: Settings, google_certs: FakeGoogle) -> Settings:
    settings.reminder_poll_seconds = 3600.0  # the deadline scenario runs the scan itself
    # A removed admin is told `admin.removed`, then cut, by the relay's watcher; a timer sweep
    # (the backstop) could cut them first under load. NOTIFY still wakes it for users.
    settings.realtime_auth_sweep_seconds = 600
    settings.google_client_ids = [google_certs.client_id]
    settings.google_certs_url = google_certs.url
    return settings


@pytest.fixture
def world(client, users, sockets, app, clock, google_certs: FakeGoogle) -> World:
    w = World(client, users, sockets, app, clock)
    w.google = google_certs
    return w


def _of_type(rec: Recorder, type: str) -> list[dict]:
    return [e for e in rec.envelopes() if e["type"] == type]


async def _settled(world: World, db, recs: list[Recorder]) -> None:
    """Once each socket has a probe recorded after the event, it has had whatever it was
    going to get of it: the relay publishes in recording order."""
    if not recs:
        return
    people = {world.listener[r].id for r in recs}
    await record(db, "probe.last", *(f"user:{p}" for p in people), at=world.clock.now())
    for rec in recs:
        await rec.wait_for("probe.last")


@pytest.mark.parametrize("key", sorted(SCENARIOS))
async def test_the_event_reaches_its_audience_and_no_one_else(world, db, key):
    type = key.split("/")[0]
    expect = await SCENARIOS[key](world)
    assert expect.hear, "a scenario names who must receive the event"
    for rec, stream in expect.hear:
        try:
            heard_it = lambda r=rec, s=stream: [e for e in _of_type(r, type) if e["stream"] == s]  # noqa: E731
            await rec.wait_until(heard_it, within=15)
        except TimeoutError:
            heard = [(e["type"], e["stream"]) for e in rec.envelopes()]
            pytest.fail(f"{world.listener[rec].name} got no {type} on {stream}; got {heard}")
    await _settled(world, db, expect.not_hear)
    for rec in expect.not_hear:
        assert _of_type(rec, type) == [], (world.listener[rec].name, rec.envelopes())


# Types whose end-to-end test (REST in, a real socket out) lives with their feature; each named
# file must mention the type, so a renamed type can't keep a stale entry.
LIVE_TESTS_ELSEWHERE = {
    "forum.thread_created": "tests/notifications/test_forum_live.py",
    "forum.thread_updated": "tests/notifications/test_forum_live.py",
    "forum.answer_created": "tests/notifications/test_forum_live.py",
    "forum.answer_updated": "tests/notifications/test_forum_live.py",
    "forum.answer_accepted": "tests/notifications/test_forum_live.py",
    "forum.vote_changed": "tests/notifications/test_forum_live.py",
    "forum.post_deleted": "tests/notifications/test_forum_live.py",
    "forum.mentioned": "tests/notifications/test_forum_live.py",
    "notification.created": "tests/notifications/test_inbox_live.py",
    "notification.unread_count": "tests/notifications/test_inbox_live.py",
    "course.at_risk_digest": "tests/realtime/test_at_risk_digest_live.py",
    "audit.entry": "tests/realtime/test_admin_realtime.py",
}


def test_every_recorded_event_type_has_an_end_to_end_scenario():
    found = recorded_event_types()
    assert found.unreadable == [], "event types must be literals or parameters passed down"
    root = Path(__file__).resolve().parents[2]
    for type, path in LIVE_TESTS_ELSEWHERE.items():
        assert f'"{type}"' in (root / path).read_text(), (type, path)
    covered = {key.split("/")[0] for key in SCENARIOS} | set(LIVE_TESTS_ELSEWHERE)
    # Recorded without an audience (streams=()), for a consumer of their own; never on a socket.
    assert found.silent == {"audit.recorded"}
    assert sorted(found.types - covered) == [], (
        "add a scenario to tests/realtime/event_scenarios.py"
    )
    assert sorted(covered - found.types) == []  # a scenario for a type nothing records


def test_the_scan_follows_helpers_and_reports_what_it_cannot_read(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "events.py").write_text(
        textwrap.dedent("""
        AUDIT: str = "audit.kept"

        def event(type, *streams, at):
            return DomainEvent(type=type, streams=tuple(streams), data={}, occurred_at=at)

        def audit_event(at):
            return DomainEvent(type=AUDIT, streams=(), data={}, occurred_at=at)
    """)
    )
    (package / "uses.py").write_text(
        textwrap.dedent("""
        from pkg.events import event

        def helper(conn, type, *, at):
            return event(type, "s", at=at)

        def wrapper(kind):
            return helper(None, kind, at=1)

        def uses():
            event("direct.one", "s", at=1)
            helper(None, "via.helper", at=1)
            wrapper("via.wrapper")
            helper(None, "a.b" if x else "c.d", at=1)
            name = "hidden"
            event(name, "s", at=1)
    """)
    )
    found = recorded_event_types(package)
    assert found.types == {"direct.one", "via.helper", "via.wrapper", "a.b", "c.d"}
    assert found.silent == {"audit.kept"}
    assert [u.split(": ")[1] for u in found.unreadable] == ["name"]
