"""Scheduling rules of the deliveries, without I/O. Every expected instant was worked out by
hand from the zone's offsets (Madrid: CET +1, CEST +2 from 2026-03-29 02:00 to 2026-10-25
03:00; New York: EST -5, EDT -4 from 2026-03-08 02:00 to 2026-11-01 02:00; Buenos Aires: -3)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from server.domain import notification_emails as texts
from server.domain.delivery_plan import Group, group_released, held_when_queued, plan
from server.domain.delivery_schedule import (
    backoff_ceiling,
    in_quiet_hours,
    local_instant,
    next_digest_at,
    quiet_hours_end,
    release_at,
    retry_delay,
    zone,
)
from server.domain.notification_preferences import NotificationPreferences, QuietHours
from tests.delivery_helpers import new_delivery

MADRID = zone("Europe/Madrid")
NEW_YORK = zone("America/New_York")
BUENOS_AIRES = zone("America/Argentina/Buenos_Aires")
NIGHT = QuietHours(start=time(22), end=time(8))  # across midnight
LUNCH = QuietHours(start=time(13), end=time(14, 30))  # within a day


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "quiet", "inside"),
    [
        (utc(2026, 1, 5, 20, 59), NIGHT, False),  # 21:59 Madrid (CET)
        (utc(2026, 1, 5, 21, 0), NIGHT, True),  # 22:00: the start is inside
        (utc(2026, 1, 5, 23, 30), NIGHT, True),  # 00:30 the next day
        (utc(2026, 1, 6, 6, 59), NIGHT, True),  # 07:59
        (utc(2026, 1, 6, 7, 0), NIGHT, False),  # 08:00: the end is outside
        (utc(2026, 1, 5, 12, 0), LUNCH, True),  # 13:00
        (utc(2026, 1, 5, 13, 30), LUNCH, False),  # 14:30
        (utc(2026, 1, 5, 12, 0), None, False),
        (utc(2026, 1, 5, 12, 0), QuietHours(start=time(9), end=time(9)), False),  # empty window
    ],
)
def test_quiet_hours_in_madrid(at, quiet, inside):
    assert in_quiet_hours(at, MADRID, quiet) is inside


@pytest.mark.parametrize(
    ("at", "tz", "quiet", "end"),
    [
        # 23:30 CET on Jan 5 -> 08:00 CET on Jan 6 = 07:00Z
        (utc(2026, 1, 5, 22, 30), MADRID, NIGHT, utc(2026, 1, 6, 7, 0)),
        # 01:00 CET on Jan 6 (after midnight) -> 08:00 the same day
        (utc(2026, 1, 6, 0, 0), MADRID, NIGHT, utc(2026, 1, 6, 7, 0)),
        # The spring-forward night: 23:00 CET Mar 28 -> 08:00 CEST Mar 29 = 06:00Z (9 h, not 10)
        (utc(2026, 3, 28, 22, 0), MADRID, NIGHT, utc(2026, 3, 29, 6, 0)),
        # The fall-back night: 23:00 CEST Oct 24 -> 08:00 CET Oct 25 = 07:00Z (10 h, not 9)
        (utc(2026, 10, 24, 21, 0), MADRID, NIGHT, utc(2026, 10, 25, 7, 0)),
        # New York's spring forward: 22:30 EST Mar 7 -> 08:00 EDT Mar 8 = 12:00Z
        (utc(2026, 3, 8, 3, 30), NEW_YORK, NIGHT, utc(2026, 3, 8, 12, 0)),
        (utc(2026, 1, 5, 12, 15), MADRID, LUNCH, utc(2026, 1, 5, 13, 30)),
        (utc(2026, 1, 5, 12, 0), MADRID, NIGHT, None),  # 13:00: not quiet
    ],
)
def test_quiet_hours_end(at, tz, quiet, end):
    assert quiet_hours_end(at, tz, quiet) == end


def test_a_quiet_end_inside_a_dst_gap_lands_past_the_jump():
    # Quiet until 02:30 on the spring-forward day: 02:30 does not exist in Madrid; PEP 495
    # reads it with the CET offset, 01:30Z, which is 03:30 CEST.
    quiet = QuietHours(start=time(22), end=time(2, 30))
    assert quiet_hours_end(utc(2026, 3, 28, 23, 0), MADRID, quiet) == utc(2026, 3, 29, 1, 30)
    assert local_instant(date(2026, 10, 25), time(2, 30), MADRID) == utc(2026, 10, 25, 0, 30)


@pytest.mark.parametrize(
    ("at", "tz", "digest"),
    [
        (utc(2026, 1, 5, 6, 59), MADRID, utc(2026, 1, 5, 7, 0)),  # 07:59 CET -> today 08:00
        (utc(2026, 1, 5, 7, 0), MADRID, utc(2026, 1, 5, 7, 0)),  # 08:00 itself
        (utc(2026, 1, 5, 7, 1), MADRID, utc(2026, 1, 6, 7, 0)),  # 08:01 -> tomorrow
        # Saturday 08:30 CET -> Sunday 08:00 CEST (the clocks moved): 06:00Z, 23.5 h later
        (utc(2026, 3, 28, 7, 30), MADRID, utc(2026, 3, 29, 6, 0)),
        # Saturday 08:30 CEST -> Sunday 08:00 CET: 07:00Z, 24.5 h later
        (utc(2026, 10, 24, 6, 30), MADRID, utc(2026, 10, 25, 7, 0)),
        (utc(2026, 1, 5, 12, 0), BUENOS_AIRES, utc(2026, 1, 6, 11, 0)),  # 09:00 -> 08:00 -3
        (utc(2026, 1, 5, 2, 0), BUENOS_AIRES, utc(2026, 1, 5, 11, 0)),  # 23:00 the day before
    ],
)
def test_next_digest_at_eight_local(at, tz, digest):
    assert next_digest_at(at, tz) == digest


def test_release_at_combines_digest_and_quiet_hours():
    late_quiet = QuietHours(start=time(22), end=time(9))
    at = utc(2026, 1, 5, 20, 0)  # 21:00 CET
    # The digest's 08:00 falls inside quiet hours until 09:00: released at 09:00 CET.
    assert release_at(at, MADRID, quiet=late_quiet, critical=False, digest=True) == utc(
        2026, 1, 6, 8, 0
    )
    # A critical digest item is not held by quiet hours.
    assert release_at(at, MADRID, quiet=late_quiet, critical=True, digest=True) == utc(
        2026, 1, 6, 7, 0
    )
    at = utc(2026, 1, 5, 22, 0)  # 23:00 CET, immediate
    assert release_at(at, MADRID, quiet=NIGHT, critical=False, digest=False) == utc(
        2026, 1, 6, 7, 0
    )
    assert release_at(at, MADRID, quiet=NIGHT, critical=True, digest=False) == at


def test_an_unknown_zone_falls_back_to_the_default():
    assert zone("Mars/Olympus_Mons") == BUENOS_AIRES


@pytest.mark.parametrize(
    ("attempts", "ceiling"),
    [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (40, 3600), (0, 30)],
)
def test_backoff_ceiling_doubles_up_to_the_cap(attempts, ceiling):
    base, cap = timedelta(seconds=30), timedelta(hours=1)
    assert backoff_ceiling(attempts, base=base, cap=cap) == timedelta(seconds=ceiling)


def test_full_jitter_spans_zero_to_the_ceiling_and_respects_retry_after():
    base, cap = timedelta(seconds=30), timedelta(hours=1)
    assert retry_delay(3, base=base, cap=cap, rand=0.0) == timedelta(0)
    assert retry_delay(3, base=base, cap=cap, rand=0.25) == timedelta(seconds=30)
    assert retry_delay(3, base=base, cap=cap, rand=0.999) < timedelta(seconds=120)
    assert retry_delay(3, base=base, cap=cap, rand=0.25, retry_after=90) == timedelta(seconds=90)
    assert retry_delay(3, base=base, cap=cap, rand=0.9, retry_after=5) == timedelta(seconds=108)
    with pytest.raises(ValueError):
        retry_delay(1, base=base, cap=cap, rand=1.0)


def _plan(**kw):
    args = dict(
        channel="push", mode="immediate", critical=False, hold=None, now=utc(2026, 1, 5, 12),
        tz=MADRID, quiet=NIGHT, online=False, grace=timedelta(seconds=60),
    )  # fmt: skip
    return plan(**(args | kw))


def test_plan_holds_digests_quiet_hours_and_the_push_grace():
    assert _plan().send
    digest = _plan(mode="daily_digest")
    assert (digest.send, digest.hold, digest.until) == (False, "digest", utc(2026, 1, 6, 7))
    night = _plan(now=utc(2026, 1, 5, 22))
    assert (night.send, night.hold, night.until) == (False, "quiet", utc(2026, 1, 6, 7))
    assert _plan(now=utc(2026, 1, 5, 22), critical=True).send
    graced = _plan(online=True)
    assert (graced.hold, graced.until) == ("grace", utc(2026, 1, 5, 12, 1))
    assert _plan(online=True, channel="email").send
    assert _plan(online=True, grace=timedelta(0)).send
    # Released items go out, unless quiet hours began since.
    assert _plan(hold="grace", online=True).send and _plan(hold="quiet").hold == "quiet"
    again = _plan(hold="digest", now=utc(2026, 1, 5, 23))
    assert (again.send, again.until) == (False, utc(2026, 1, 6, 7))


def test_a_delivery_is_queued_held_when_the_workers_first_look_would_hold_it():
    noon, night = utc(2026, 1, 5, 12), utc(2026, 1, 5, 22)  # 13:00 and 23:00 in Madrid
    prefs = NotificationPreferences(timezone="Europe/Madrid", quiet_hours=NIGHT)
    grace = timedelta(seconds=60)

    def queued(channel="push", *, now=noon, online=False, **kw):
        d = new_delivery(uuid.uuid4(), channel, now=now, **kw)
        return held_when_queued(d, prefs=prefs, online=online, now=now, grace=grace)

    graced = queued(online=True)
    assert (graced.hold, graced.not_before) == ("grace", noon + grace)
    doc = graced.as_document()
    assert (doc["hold"], doc["not_before"], doc["status"]) == ("grace", noon + grace, "queued")
    assert doc["log"] == [{"at": noon, "outcome": "held", "hold": "grace", "until": noon + grace}]
    quiet = queued("email", now=night, email="a@example.com")
    assert (quiet.hold, quiet.not_before) == ("quiet", utc(2026, 1, 6, 7))
    digest = queued("email", mode="daily_digest", email="a@example.com")
    assert (digest.hold, digest.not_before) == ("digest", utc(2026, 1, 6, 7))
    for due in (queued(), queued("email", online=True), queued(now=night, critical=True)):
        assert due.hold is None and due.as_document()["not_before"] == due.created_at
        assert "log" not in due.as_document()
    off = replace(new_delivery(uuid.uuid4(), "push", now=noon), status="skipped")
    assert held_when_queued(off, prefs=prefs, online=True, now=noon, grace=grace) is off


def test_released_items_group_into_digests_and_summaries():
    assert group_released("digest", ["a"]) == [Group("digest", ("a",))]
    assert group_released("quiet", ["a", "b", "c"]) == [
        Group("single", ("a",)),
        Group("single", ("b",)),
        Group("single", ("c",)),
    ]
    assert group_released("quiet", ["a", "b", "c", "d"]) == [Group("summary", ("a", "b", "c", "d"))]
    assert group_released(None, ["a", "b"]) == [Group("single", ("a",)), Group("single", ("b",))]


def test_digest_email_groups_by_course_in_one_source_for_html_and_text():
    items = [
        texts.Item("Nueva tarea", "TP 1", "Física I"),
        texts.Item("Nota", "9/10", "Química"),
        texts.Item("Recordatorio", "TP 1 vence mañana", "Física I"),
        texts.Item("Regla nueva", "", None),
    ]
    email = texts.digest("es", items)
    assert email.subject == "Tu resumen diario de ClassConnect (4)"
    assert email.text.index("Física I") < email.text.index("Química") < email.text.index("General")
    assert "Física I\n- Nueva tarea: TP 1\n- Recordatorio: TP 1 vence mañana" in email.text
    assert email.html.count("<h2>") == 3 and "<h2>Física I</h2>" in email.html
    assert "<li><strong>Nota</strong> 9/10</li>" in email.html
    english = texts.digest("en", items[:1])
    assert english.subject == "Your ClassConnect daily digest (1)"
    assert "<script>" not in texts.single("es", texts.Item("<script>", "x")).html
