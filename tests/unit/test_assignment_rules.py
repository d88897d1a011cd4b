"""The pure assignment rules, without I/O: lateness and penalties, exam deadlines, auto-grading,
question consistency, reminder times and the statistics arithmetic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from server.domain import assignment_stats as stats
from server.domain import submissions as subs
from server.domain.assignments import LatePolicy, Question
from server.domain.errors import Conflict
from server.domain.reminders import reminder_times
from server.domain.stats_tables import STATS_COLUMNS, spreadsheet_cell, table_rows

DUE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_on_time_within_grace_then_late_by_started_days():
    policy = LatePolicy(accept_late=True, penalty_percent_per_day=15, max_late_days=10)
    on_time = subs.lateness(
        now=DUE + timedelta(minutes=30), due_at=DUE, grace_minutes=30, policy=policy
    )
    assert on_time == subs.Lateness(False, 0, 0, 0.0)
    late = subs.lateness(
        now=DUE + timedelta(minutes=30, seconds=1), due_at=DUE, grace_minutes=30, policy=policy
    )
    assert (late.late, late.seconds_late, late.days_late, late.penalty_percent) == (
        True,
        1,
        1,
        15.0,
    )
    much = subs.lateness(now=DUE + timedelta(days=8), due_at=DUE, grace_minutes=0, policy=policy)
    assert much.penalty_percent == 100.0  # capped


@pytest.mark.parametrize(
    "policy",
    [LatePolicy(accept_late=False), LatePolicy(accept_late=True, max_late_days=1)],
)
def test_refused_late_work(policy):
    with pytest.raises(Conflict) as info:
        subs.lateness(
            now=DUE + timedelta(days=1, seconds=1), due_at=DUE, grace_minutes=0, policy=policy
        )
    assert info.value.code == "deadline_passed"


def test_attempt_deadline_is_the_earlier_bound():
    policy = LatePolicy()
    early = DUE - timedelta(hours=3)
    assert subs.attempt_deadline(
        start=early, due_at=DUE, grace_minutes=5, time_limit_minutes=60, policy=policy
    ) == early + timedelta(hours=1)
    near = DUE - timedelta(minutes=10)
    assert subs.attempt_deadline(
        start=near, due_at=DUE, grace_minutes=5, time_limit_minutes=60, policy=policy
    ) == DUE + timedelta(minutes=5)
    assert (
        subs.attempt_deadline(
            start=near, due_at=DUE, grace_minutes=0, time_limit_minutes=None, policy=policy
        )
        == DUE
    )
    subs.check_attempt_open(now=DUE + subs.ATTEMPT_SLACK, deadline=DUE)
    with pytest.raises(Conflict):
        subs.check_attempt_open(now=DUE + subs.ATTEMPT_SLACK + timedelta(seconds=1), deadline=DUE)


def test_auto_grade_scores_choices_and_flags_hand_graded_answers():
    qs = [
        Question(
            id="a", kind="multiple_choice", prompt="?", options=["x", "y"], correct=1, points=2
        ),
        Question(id="b", kind="true_false", prompt="?", correct=False, points=1),
        Question(id="c", kind="text", prompt="?", points=4),
    ]
    answers = [subs.Answer(question_id="a", choice=1), subs.Answer(question_id="b", choice=0)]
    graded = subs.auto_grade(qs, answers)
    # `0` is not `False`: a true_false question wants a bool.
    assert graded.auto_score == 2 and graded.needs_review is False
    graded = subs.auto_grade(qs, [*answers, subs.Answer(question_id="c", text="because")])
    assert graded.needs_review is True
    assert subs.total(graded.question_results, {}) is None
    assert subs.total(graded.question_results, {"c": 3}) == 5
    assert subs.with_penalty(5, 20) == 4


def test_questions_must_be_consistent():
    for bad in (
        {"kind": "multiple_choice", "options": ["only"], "correct": 0},
        {"kind": "multiple_choice", "options": ["a", "b"], "correct": True},
        {"kind": "true_false", "correct": "yes"},
        {"kind": "file", "correct": 1},
    ):
        with pytest.raises(ValidationError):
            Question(id="q", prompt="?", **bad)
    assert "correct" not in Question(id="q", kind="text", prompt="?").view().model_dump()


def test_reminder_times_skip_moments_already_past():
    assert reminder_times(DUE, DUE - timedelta(days=3)) == {
        "24h": DUE - timedelta(hours=24),
        "1h": DUE - timedelta(hours=1),
    }
    assert list(reminder_times(DUE, DUE - timedelta(hours=5))) == ["1h"]
    assert reminder_times(DUE, DUE) == {}


def test_trend_direction_and_course_stats():
    assert stats.trend_direction([50, 60, 70]) is stats.TrendDirection.up
    assert stats.trend_direction([70, None, 69.5]) is stats.TrendDirection.flat
    assert stats.trend_direction([80]) is None
    a1, a2 = uuid.uuid4(), uuid.uuid4()
    s1, s2, gone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    facts = [
        stats.AssignmentFacts(a1, "One", DUE, 0, 10),
        stats.AssignmentFacts(a2, "Two", DUE + timedelta(days=7), 0, 20),
    ]
    work = [
        stats.WorkFacts(a1, s1, False, 10),
        stats.WorkFacts(a1, s2, True, 5),
        stats.WorkFacts(a2, s1, False, None),
        stats.WorkFacts(a1, gone, False, 0),
    ]
    out = stats.course_stats(
        course_id=uuid.uuid4(),
        assignments=facts,
        students=[(s1, "Ana"), (s2, "Ben")],
        work=work,
        now=DUE + timedelta(days=8),
    )
    one, two = out.assignments
    assert (one.average_percent, one.completion_rate, one.on_time_rate) == (75.0, 1.0, 0.5)
    assert (two.average_percent, two.submitted, two.graded) == (None, 1, 0)
    ben = next(p for p in out.per_student if p.name == "Ben")
    assert (ben.late, ben.missing, ben.average_percent) == (1, 1, 50.0)
    assert table_rows(out, "students")[0] == STATS_COLUMNS["students"]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_spreadsheet_text_that_would_be_a_formula_is_quoted(text):
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Ann", "", "1-2", -3, -2.5, 0])
def test_spreadsheet_numbers_and_plain_text_are_kept(value):
    assert spreadsheet_cell(value) == value


@pytest.mark.parametrize(
    ("role", "status", "final"),
    [
        ("student", "active", False),
        ("student", "approved", True),
        ("student", "failed", True),
        ("student", "removed", False),  # not a member any more: refused elsewhere, as a 403
        ("assistant", "active", False),
    ],
)
def test_a_final_result_closes_the_course_for_the_student(role, status, final):
    from server.domain.course_access import Membership, require_result_open

    m = Membership.of({"role": role, "status": status, "permissions": {}})
    if not final:
        require_result_open(m, "hand in work")
        return
    with pytest.raises(Conflict) as info:
        require_result_open(m, "hand in work")
    assert info.value.code == "result_final" and info.value.details == [{"status": status}]


def test_reminders_of_a_due_time_near_the_first_year_do_not_overflow():
    from datetime import datetime as dt

    from server.domain.reminders import reminder_times

    assert reminder_times(dt(1, 1, 1, 12, tzinfo=UTC), DUE) == {}
    assert set(reminder_times(DUE, DUE - timedelta(days=2))) == {"24h", "1h"}
