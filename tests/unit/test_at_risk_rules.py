"""The at-risk rules and the weekly digest, on hand-checked data."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from server.domain.assignment_stats import AssignmentFacts, WorkFacts
from server.domain.at_risk import (
    AtRiskParameters,
    StudentFacts,
    assess,
    digest_event,
    digest_week,
    drop_rule,
    inactive_rule,
    missed_rule,
)
from server.domain.stats_trends import Bucket

BA = ZoneInfo("America/Argentina/Buenos_Aires")
NOW = datetime(2026, 2, 5, 12, tzinfo=UTC)
JOINED = datetime(2026, 1, 1, tzinfo=UTC)


def task(day: int, title: str, grace: int = 0) -> AssignmentFacts:
    return AssignmentFacts(uuid.uuid4(), title, datetime(2026, 1, day, 15, tzinfo=UTC), grace, 10)


TASKS = [task(5, "A1"), task(12, "A2"), task(19, "A3"), task(26, "A4")]


def test_missed_rule_takes_the_last_n_overdue_since_joining():
    a1, a2, a3, a4 = TASKS
    found = missed_rule(JOINED, TASKS, {a1.id, a2.id}, 2)
    assert found == {
        "count": 2,
        "titles": ["A3", "A4"],
        "assignment_ids": [str(a3.id), str(a4.id)],
    }
    assert missed_rule(JOINED, TASKS, {a4.id}, 2) is None  # handed in the last one
    assert missed_rule(JOINED, TASKS, {a1.id}, 3) is not None
    late_joiner = datetime(2026, 1, 20, tzinfo=UTC)  # only A4 was due since
    assert missed_rule(late_joiner, TASKS, set(), 2) is None


def test_an_assignment_in_its_grace_period_is_not_missed_yet():
    a3, in_grace = TASKS[2], task(26, "A4", grace=60)
    ana = uuid.uuid4()

    def missed_at(moment: datetime) -> int:
        report = assess(
            course_id=uuid.uuid4(),
            title="Course",
            students=[StudentFacts(ana, "Ana", JOINED, moment)],
            assignments=[in_grace, a3],
            work=[],
            params=AtRiskParameters(),
            zone=BA,
            locale="es",
            now=moment,
        )
        return report.counts.missed_assignments

    assert missed_at(in_grace.due_at + timedelta(minutes=59)) == 0
    assert missed_at(in_grace.due_at + timedelta(minutes=61)) == 1


def test_drop_rule_compares_the_last_three_graded_buckets():
    grades = [  # (start of the Buenos Aires week the task is due in, percent)
        (date(2026, 1, 5), 80.0),
        (date(2026, 1, 12), 70.0),
        (date(2026, 1, 12), 90.0),  # week 3 averages 80
        (date(2026, 1, 26), 64.0),  # week 5 (week 4 has no grade)
    ]
    assert drop_rule(grades, Bucket.week, 15.0) == {
        "first": 80.0,
        "last": 64.0,
        "drop": 16.0,
        "buckets": ["2026-W02", "2026-W03", "2026-W05"],
    }
    assert drop_rule(grades, Bucket.week, 16.0) is None  # "more than" X
    assert drop_rule(grades[:1], Bucket.week, 1.0) is None  # one bucket: no trend
    by_month = [(date(2026, 1, 1), p) for _, p in grades]
    assert drop_rule(by_month, Bucket.month, 1.0) is None  # January alone


def test_grade_drop_buckets_follow_the_viewers_zone():
    # Due Sunday 23:30 in Buenos Aires: week 2 there, week 3 in UTC (with the 40 % task).
    a1 = AssignmentFacts(uuid.uuid4(), "A1", datetime(2026, 1, 12, 2, 30, tzinfo=UTC), 0, 10)
    a2 = AssignmentFacts(uuid.uuid4(), "A2", datetime(2026, 1, 13, 15, tzinfo=UTC), 0, 10)
    ana = uuid.uuid4()
    work = [WorkFacts(a1.id, ana, False, 10), WorkFacts(a2.id, ana, False, 4)]

    def drops(zone: ZoneInfo) -> int:
        return assess(
            course_id=uuid.uuid4(),
            title="Course",
            students=[StudentFacts(ana, "Ana", JOINED, NOW)],
            assignments=[a1, a2],
            work=work,
            params=AtRiskParameters(),
            zone=zone,
            locale="es",
            now=NOW,
        ).counts.grade_drop

    assert drops(BA) == 1 and drops(ZoneInfo("UTC")) == 0


def test_inactive_rule_counts_whole_days():
    last = NOW - timedelta(days=14)
    assert inactive_rule(JOINED, last, NOW, 14) == {
        "days": 14,
        "last_activity_at": last.isoformat(),
    }
    assert inactive_rule(JOINED, last + timedelta(seconds=1), NOW, 14) is None
    assert inactive_rule(NOW - timedelta(days=20), None, NOW, 14) == {
        "days": 20,
        "last_activity_at": None,
    }


def _report(locale: str = "es"):
    a1, a2, a3, a4 = TASKS
    ana, bob, cid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    work = [
        WorkFacts(a1.id, ana, False, 10),
        WorkFacts(a2.id, ana, False, 4),
        WorkFacts(a1.id, bob, False, 9),
        WorkFacts(a2.id, bob, False, 9),
        WorkFacts(a3.id, bob, False, 9),
        WorkFacts(a4.id, bob, False, 9),
    ]
    students = [
        StudentFacts(bob, "Bob", JOINED, datetime(2026, 1, 25, tzinfo=UTC)),  # 11 days quiet
        StudentFacts(ana, "Ana", JOINED, datetime(2026, 1, 10, tzinfo=UTC)),
    ]
    return (
        cid,
        ana,
        assess(
            course_id=cid,
            title="Course",
            students=students,
            assignments=TASKS,
            work=work,
            params=AtRiskParameters(),
            zone=BA,
            locale=locale,
            now=NOW,
        ),
    )


def test_assess_flags_with_reasons_in_words():
    _, ana, report = _report()
    assert report.counts.model_dump() == {
        "students": 2,
        "at_risk": 1,
        "missed_assignments": 1,
        "grade_drop": 1,
        "inactive": 1,
    }
    [flagged] = report.students
    assert flagged.student_id == ana
    assert [r.message for r in flagged.reasons] == [
        "No entregó las últimas 2 tareas: «A3», «A4».",
        "Su promedio bajó 60,0 puntos en sus últimos períodos calificados (100,0 → 40,0).",
        "Sin entregas ni actividad en el foro hace 26 días.",
    ]
    assert report.generated_at.isoformat() == "2026-02-05T09:00:00-03:00"
    _, _, english = _report("en")
    assert english.students[0].reasons[1].message == (
        "Their average fell 60.0 points over their last graded periods (100.0 → 40.0)."
    )


def test_digest_is_due_monday_at_eight_in_buenos_aires():
    assert digest_week(datetime(2026, 2, 9, 10, 59, tzinfo=UTC), BA) == date(2026, 2, 2)
    assert digest_week(datetime(2026, 2, 9, 11, 0, tzinfo=UTC), BA) == date(2026, 2, 9)
    assert digest_week(datetime(2026, 2, 15, 23, 0, tzinfo=UTC), BA) == date(2026, 2, 9)


def test_digest_event_is_for_the_staff_in_both_languages():
    cid, ana, report = _report()
    ev = digest_event(report, week=date(2026, 2, 2), now=NOW)
    assert ev.type == "course.at_risk_digest" and ev.streams == (f"course:{cid}:staff",)
    assert ev.data["week"] == "2026-W06" and ev.data["counts"]["at_risk"] == 1
    [student] = ev.data["students"]
    assert student["student_id"] == str(ana)
    assert student["reasons"][0]["messages"]["en"] == (
        "Did not hand in the last 2 assignments: «A3», «A4»."
    )
