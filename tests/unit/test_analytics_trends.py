"""Trend buckets, moving averages, time zones and the display preferences, on hand-checked data."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.domain.assignment_stats import (
    AssignmentFacts,
    WorkFacts,
    course_stats,
    grade_distribution,
    moving_average,
)
from server.domain.display import DEFAULT_DISPLAY, Display, display_for
from server.domain.errors import InvalidInput
from server.domain.report_text import number, percent_text
from server.domain.stats_trends import (
    AssignmentTally,
    Bucket,
    bucket_label,
    bucket_start,
    calendar,
    next_start,
    student_tallies,
    trend_buckets,
)

BA = ZoneInfo("America/Argentina/Buenos_Aires")
MADRID = ZoneInfo("Europe/Madrid")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def task(due: str, title: str = "T", max_score: float = 10) -> AssignmentFacts:
    return AssignmentFacts(uuid.uuid4(), title, utc(due), 0, max_score)


def tally(a: AssignmentFacts, expected: int, submitted: int, on_time: int, grades: list[float]):
    return AssignmentTally(
        a, expected, submitted, on_time, submitted - on_time, len(grades), sum(grades)
    )


def test_a_sunday_night_in_buenos_aires_is_monday_in_utc():
    due = utc("2026-01-12T02:30")  # Sunday 23:30 in Buenos Aires (UTC-3)
    assert bucket_start(due, Bucket.week, BA) == date(2026, 1, 5)
    assert bucket_start(due, Bucket.week, ZoneInfo("UTC")) == date(2026, 1, 12)
    assert bucket_start(utc("2026-02-01T01:00"), Bucket.month, BA) == date(2026, 1, 1)


def test_labels_and_steps():
    assert bucket_label(date(2026, 1, 5), Bucket.week) == "2026-W02"
    assert bucket_label(date(2024, 12, 30), Bucket.week) == "2025-W01"  # ISO year
    assert bucket_label(date(2026, 12, 1), Bucket.month) == "2026-12"
    assert next_start(date(2026, 12, 1), Bucket.month) == date(2027, 1, 1)
    assert next_start(date(2026, 1, 26), Bucket.week) == date(2026, 2, 2)


def test_a_week_with_a_dst_change_lasts_167_hours():
    # Spain moves to summer time on Sunday 2026-03-29.
    [bucket] = trend_buckets(
        [],
        bucket=Bucket.week,
        zone=MADRID,
        start=utc("2026-03-25T12:00"),
        end=utc("2026-03-25T12:00"),
    )
    assert bucket.start.isoformat() == "2026-03-23T00:00:00+01:00"
    assert bucket.end.isoformat() == "2026-03-30T00:00:00+02:00"
    # (Subtracting two datetimes of one zone counts wall-clock time: compare instants.)
    assert bucket.end.astimezone(UTC) - bucket.start.astimezone(UTC) == timedelta(hours=167)


def test_buckets_aggregate_and_keep_empty_ones():
    a1, a2 = task("2026-01-06T15:00"), task("2026-01-08T15:00")  # week 2
    a3 = task("2026-01-20T15:00")  # week 4; week 3 has nothing
    tallies = [
        tally(a1, 10, 8, 7, [100.0, 50.0]),
        tally(a2, 10, 6, 6, [90.0]),
        tally(a3, 10, 5, 2, [40.0, 60.0]),
    ]
    rows = trend_buckets(
        tallies, bucket=Bucket.week, zone=BA, start=a1.due_at, end=a3.due_at, window=2
    )
    assert [r.label for r in rows] == ["2026-W02", "2026-W03", "2026-W04"]
    w2, w3, w4 = rows
    assert (w2.assignments, w2.average_percent, w2.submission_rate) == (2, 80.0, 0.7)
    assert (w2.on_time_rate, w2.late_count) == (0.65, 1)
    assert (w3.assignments, w3.average_percent, w3.submission_rate, w3.late_count) == (
        0,
        None,
        None,
        None,
    )
    assert (w4.average_percent, w4.submission_rate, w4.on_time_rate, w4.late_count) == (
        50.0,
        0.5,
        0.2,
        3,
    )
    # window 2: W2 alone; W3 has no grade so W2's stands; W4 with W3 (empty) is W4 alone.
    assert [r.moving_average_percent for r in rows] == [80.0, 80.0, 50.0]


def test_a_course_without_students_has_no_rates():
    a = task("2026-01-06T15:00")
    [row] = trend_buckets(
        [tally(a, 0, 0, 0, [])], bucket=Bucket.week, zone=BA, start=a.due_at, end=a.due_at
    )
    assert (row.assignments, row.submission_rate, row.on_time_rate, row.late_count) == (
        1,
        None,
        None,
        0,
    )


def test_moving_average_skips_gaps():
    assert moving_average([80.0, None, 50.0, 70.0], 3) == [80.0, 80.0, 65.0, 60.0]
    assert moving_average([None, None], 3) == [None, None]


def test_ranges_are_capped():
    with pytest.raises(InvalidInput) as err:
        calendar(utc("2000-01-01T00:00"), utc("2026-01-01T00:00"), Bucket.week, BA)
    assert err.value.code == "range_too_large"
    months = calendar(utc("2000-01-01T00:00"), utc("2020-12-31T00:00"), Bucket.month, BA)
    # Midnight UTC on New Year's Day is still December 1999 in Buenos Aires.
    assert (months[0], months[-1], len(months)) == (date(1999, 12, 1), date(2020, 12, 1), 253)


def test_student_tallies_count_one_hand_in_each():
    a1, a2, a3 = task("2026-01-06T15:00"), task("2026-01-07T15:00"), task("2026-01-08T15:00")
    sid = uuid.uuid4()
    work = [WorkFacts(a1.id, sid, False, 7.5), WorkFacts(a2.id, sid, True, None)]
    t1, t2, t3 = student_tallies([a1, a2, a3], work)
    assert (t1.submitted, t1.on_time, t1.late, t1.graded, t1.percent_sum) == (1, 1, 0, 1, 75.0)
    assert (t2.submitted, t2.on_time, t2.late, t2.graded) == (1, 0, 1, 0)
    assert (t3.expected, t3.submitted, t3.graded) == (1, 0, 0)


def test_grade_distribution_bands():
    bins = grade_distribution([0.0, 9.99, 10.0, 55.0, 100.0, 104.0])
    assert [(b.lower, b.upper) for b in bins][:2] == [(0, 10), (10, 20)]
    assert [b.count for b in bins] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]


def test_course_stats_moving_average_and_student_trend():
    a1, a2, a3 = task("2026-01-06T15:00"), task("2026-01-07T15:00"), task("2026-01-08T15:00")
    sam, sue = uuid.uuid4(), uuid.uuid4()
    work = [
        WorkFacts(a1.id, sam, False, 10),
        WorkFacts(a2.id, sam, False, 6),
        WorkFacts(a3.id, sam, False, 2),
        WorkFacts(a1.id, sue, False, 5),
        WorkFacts(a3.id, sue, True, 9),
    ]
    stats = course_stats(
        course_id=uuid.uuid4(),
        assignments=[a1, a2, a3],
        students=[(sam, "Sam"), (sue, "Sue")],
        work=work,
        now=utc("2026-02-01T00:00"),
    )
    assert [a.average_percent for a in stats.assignments] == [75.0, 60.0, 55.0]
    assert [a.moving_average_percent for a in stats.assignments] == [75.0, 67.5, 63.33]
    people = {p.name: p for p in stats.per_student}
    assert people["Sam"].trend_direction == "down" and people["Sue"].trend_direction == "up"
    assert people["Sue"].missing == 1
    assert [b.count for b in stats.grade_distribution] == [0, 0, 1, 0, 0, 1, 1, 0, 0, 2]


def test_display_defaults_and_overrides():
    assert display_for(None) == DEFAULT_DISPLAY == Display("es", "America/Argentina/Buenos_Aires")
    assert display_for({"locale": "en", "timezone": "Europe/Madrid"}) == Display(
        "en", "Europe/Madrid"
    )
    assert display_for({"locale": "fr", "timezone": "Nowhere/Land"}) == DEFAULT_DISPLAY
    assert display_for({"timezone": "Europe/Madrid"}, "Asia/Tokyo").timezone == "Asia/Tokyo"
    assert display_for({"timezone": "Europe/Madrid"}, "../etc").timezone == "Europe/Madrid"


def test_numbers_in_each_language():
    assert number(1234.56, "es") == "1.234,6" and number(1234.56, "en") == "1,234.6"
    assert number(None, "es") == "—"
    assert percent_text(0.625, "es") == "62 %" and percent_text(None, "en") == "—"
