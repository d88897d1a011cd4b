"""The notification rules without I/O: who is told what, on which channels, in which words."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, time

import pytest
from pydantic import ValidationError

from server.domain.deliveries import delivery_id
from server.domain.notification_plan import Recipient, plan
from server.domain.notification_preferences import NotificationPreferences, QuietHours
from server.domain.notification_rules import (
    TYPES,
    Audience,
    MalformedEvent,
    all_modes,
    effective_mode,
    locked_choices,
    notice_for,
    notification_id,
    only_changes,
)
from server.domain.notification_texts import TEXTS, local_time, render
from server.domain.notifications import PreferencesBody, preferences_read

COURSE, ASSIGNMENT, USER = (str(uuid.uuid4()) for _ in range(3))
AT = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)


def test_the_default_channels_are_the_issue_table():
    on = {name: sorted(spec.defaults) for name, spec in TYPES.items()}
    assert on["enrollment.created"] == ["email", "in_app"]
    assert on["member.status_changed"] == ["email", "in_app", "push"]
    assert on["assistant.assigned"] == on["assistant.revoked"] == ["email", "in_app"]
    assert on["assignment.published"] == on["assignment.updated"] == ["in_app", "push"]
    assert on["deadline.reminder"] == ["in_app", "push"]
    assert on["submission.created"] == ["in_app"]
    assert on["grade.published"] == on["feedback.received"] == ["email", "in_app", "push"]
    assert on["course.deleted"] == on["rule.published"] == ["email", "in_app"]
    critical = {n for n, spec in TYPES.items() if spec.critical}
    assert critical == {
        "account.blocked",
        "account.unblocked",
        "account.locked",
        "account.password_changed",
        "account.google_linked",
    }
    assert all(on[n] == ["email"] for n in critical)
    assert TYPES["assignment.published"].audience is Audience.COURSE_ACTIVE_STUDENTS
    assert TYPES["submission.created"].audience is Audience.COURSE_STAFF
    assert TYPES["course.deleted"].audience is Audience.COURSE_MEMBERS


def test_an_assignment_change_notifies_only_a_new_due_date_of_a_published_one():
    base = {
        "course_id": COURSE,
        "assignment_id": ASSIGNMENT,
        "title": "T",
        "due_at": AT.isoformat(),
    }
    moved = {**base, "due_at_changed": True, "state": "published"}
    assert notice_for("assignment.updated", moved) is not None
    assert notice_for("assignment.updated", {**moved, "due_at_changed": False}) is None
    assert notice_for("assignment.updated", {**moved, "state": "draft"}) is None
    notice = notice_for("assignment.published", base)
    assert notice.links == {
        "course_id": COURSE,
        "assignment_id": ASSIGNMENT,
        "due_at": base["due_at"],
    }
    assert notice.course_id == COURSE


def test_variants_and_events_that_notify_nobody():
    status = {"course_id": COURSE, "user_id": USER}
    assert notice_for("member.status_changed", {**status, "status": "failed"}).variant == "failed"
    assert notice_for("member.status_changed", {**status, "status": "active"}) is None
    assert notice_for("feedback.received", {**status, "about": "course"}) is None
    given = {**status, "about": "student", "feedback_id": USER}
    assert notice_for("feedback.received", given).links == {
        "course_id": COURSE,
        "feedback_id": USER,
    }
    reminder = {"course_id": COURSE, "assignment_id": ASSIGNMENT, "title": "T", "before": "1h"}
    assert notice_for("deadline.reminder", reminder).variant == "1h"
    blocked = {"user_id": USER, "reason": "spam"}
    assert notice_for("account.blocked", blocked).variant == "default"
    assert notice_for("account.blocked", {**blocked, "until": AT.isoformat()}).variant == "until"


@pytest.mark.parametrize(
    ("type", "data"),
    [
        ("grade.published", {"score": 9}),  # no course or assignment
        ("enrollment.created", {"course_id": COURSE}),  # whose?
        ("enrollment.created", {"course_id": "not-a-uuid", "user_id": USER}),
        ("account.locked", {}),
        ("rule.published", {"rule_id": "r1", "title": "T", "applies_to": "admins"}),
        ("course.at_risk_digest", {"course_id": COURSE}),  # no title
    ],
)
def test_an_event_without_what_its_notice_needs_is_malformed(type, data):
    with pytest.raises(MalformedEvent):
        notice_for(type, data)


def test_hand_built_administration_and_analytics_events_give_notices():
    rule = {"rule_id": "r1", "version": 2, "title": "Conduct", "applies_to": "students"}
    assert notice_for("rule.published", rule).links == {"rule_id": "r1", "version": 2}
    for name in ("account.unblocked", "account.password_changed", "account.google_linked"):
        assert notice_for(name, {"user_id": USER}).links == {"user_id": USER}
    digest = {"course_id": COURSE, "title": "Algebra", "students": [{"id": USER}]}
    assert notice_for("course.at_risk_digest", digest).course_id == COURSE


def test_modes_fall_back_to_defaults_and_critical_email_cannot_be_changed():
    prefs = NotificationPreferences(
        events={"grade.published": {"push": "off", "email": "daily_digest"},
                "account.blocked": {"email": "off"}}
    )  # fmt: skip
    assert effective_mode(prefs, "grade.published", "push") == "off"
    assert effective_mode(prefs, "grade.published", "email") == "daily_digest"
    assert effective_mode(prefs, "grade.published", "in_app") == "immediate"
    assert effective_mode(prefs, "submission.created", "email") == "off"
    assert effective_mode(prefs, "account.blocked", "email") == "immediate"
    assert all_modes(NotificationPreferences())["account.locked"] == {
        "in_app": "off", "email": "immediate", "push": "off",
    }  # fmt: skip


def test_only_changes_are_stored_and_locked_choices_are_named():
    chosen = {"grade.published": {"push": "immediate", "email": "off"}}
    assert only_changes(chosen) == {"grade.published": {"email": "off"}}
    assert only_changes({"grade.published": {"push": "immediate"}}) == {}
    locked = locked_choices({"account.locked": {"email": "daily_digest"}, "grade.published": {}})
    assert locked == [
        {
            "field": "body.events.account.locked.email",
            "type": "account.locked",
            "mode": "daily_digest",
        }
    ]
    assert locked_choices({"account.locked": {"push": "immediate", "email": "immediate"}}) == []


def test_preferences_body_paths_and_quiet_hours_on_the_wire():
    with pytest.raises(ValidationError) as exc:
        PreferencesBody.model_validate(
            {
                "timezone": "Mars/Olympus",
                "locale": "fr",
                "quiet_hours": {"start": "24:00", "end": "8:00"},
                "events": {"nope": {}, "grade.published": {"sms": "off", "in_app": "daily_digest"}},
            }
        )
    locs = {tuple(e["loc"]) for e in exc.value.errors()}
    assert locs == {
        ("timezone",),
        ("locale",),
        ("quiet_hours", "start"),
        ("quiet_hours", "end"),
        ("events", "nope", "[key]"),
        ("events", "grade.published", "sms"),
        ("events", "grade.published", "in_app"),
    }
    body = PreferencesBody.model_validate(
        {"timezone": "Europe/Madrid", "quiet_hours": {"start": "22:30", "end": "07:00"}}
    )
    stored = body.to_stored()
    assert stored.quiet_hours == QuietHours(start=time(22, 30), end=time(7, 0))
    assert preferences_read(stored).quiet_hours.model_dump() == {"start": "22:30", "end": "07:00"}


def test_every_text_renders_completely_in_both_languages():
    values = {
        "course": "Álgebra", "title": "TP 1", "due_at": AT.isoformat(), "score": 8.0,
        "max_score": 10.0, "student": "Ana", "count": 2, "version": 3, "reason": "spam",
        "until": AT.isoformat(),
    }  # fmt: skip
    for (type, variant), texts in TEXTS.items():
        assert set(texts) == {"es", "en"}
        for locale in ("es", "en"):
            title, body = render(type, variant, values, locale=locale, timezone="UTC")
            assert title and body and not re.search(r"[{}]", title + body), (type, variant)
    assert {t for t, _ in TEXTS} == set(TYPES)
    es = render("grade.published", "default", values, locale="es", timezone="UTC")
    assert es == ("Calificación publicada", "Obtuviste 8/10 en «TP 1».")


def test_times_are_shown_in_the_recipients_zone_across_a_dst_change():
    # Europe/Madrid moves to summer time on 2026-03-29 at 02:00 (01:00 UTC).
    assert local_time(AT, locale="es", timezone="Europe/Madrid") == "29/03/2026 00:30"
    later = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert local_time(later, locale="en", timezone="Europe/Madrid") == "Mar 29, 2026 03:30"
    assert local_time(AT, locale="es", timezone="America/Argentina/Buenos_Aires") == (
        "28/03/2026 20:30"
    )


def test_a_plan_follows_each_recipients_preferences():
    event_id = uuid.uuid4()
    spanish, english, quiet = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    recipients = [
        Recipient(spanish, "a@example.test", NotificationPreferences()),
        Recipient(english, "b@example.test", NotificationPreferences(
            locale="en", timezone="UTC", events={"grade.published": {"email": "daily_digest"}})),
        Recipient(quiet, "c@example.test", NotificationPreferences(
            events={"grade.published": {"in_app": "off", "push": "off"}})),
    ]  # fmt: skip
    notice = notice_for(
        "grade.published",
        {"course_id": COURSE, "assignment_id": ASSIGNMENT, "submission_id": USER, "title": "TP"},
    )
    result = plan(
        event_id=event_id,
        seq=41,
        notice=notice,
        values={"title": "TP", "score": 7, "max_score": 10},
        recipients=recipients,
        occurred_at=datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC),
        now=AT,
    )
    assert [d["user_id"] for d in result.items] == [str(spanish), str(english)]
    spanish_item, english_item = result.items
    assert spanish_item["_id"] == notification_id(event_id, spanish)
    assert spanish_item["title"] == "Calificación publicada"
    assert english_item["body"] == "You got 7/10 on “TP”."
    assert spanish_item["created_at"].microsecond == 123000  # what Mongo keeps
    assert spanish_item["data"] == notice.links and spanish_item["read_at"] is None
    assert spanish_item["seq"] == english_item["seq"] == 41
    by = {(d.user_id, d.channel): d for d in result.deliveries}
    assert len(by) == 6  # every channel is on by default for grades
    assert (by[spanish, "email"].status, by[spanish, "email"].mode) == ("queued", "immediate")
    assert by[spanish, "email"].email == "a@example.test" and by[spanish, "push"].email is None
    assert (by[english, "email"].status, by[english, "email"].mode) == ("queued", "daily_digest")
    assert (by[quiet, "push"].status, by[quiet, "push"].reason) == ("skipped", "preference_off")
    assert by[quiet, "email"].status == "queued"
    assert by[quiet, "push"].id == delivery_id(str(event_id), quiet, "push")
    assert by[quiet, "push"].notification_id == notification_id(event_id, quiet)


def test_a_channel_off_by_default_leaves_no_delivery_unless_asked_for():
    keen = uuid.uuid4()
    ids = {"course_id": COURSE, "assignment_id": ASSIGNMENT, "submission_id": USER}
    notice = notice_for("submission.created", ids)
    recipients = [
        Recipient(uuid.uuid4(), "a@example.test", NotificationPreferences()),
        Recipient(keen, "k@example.test", NotificationPreferences(
            events={"submission.created": {"email": "daily_digest"}})),
    ]  # fmt: skip
    result = plan(event_id=uuid.uuid4(), seq=1, notice=notice, values={}, recipients=recipients,
                  occurred_at=AT, now=AT)  # fmt: skip
    assert len(result.items) == 2
    assert [(d.user_id, d.channel, d.mode) for d in result.deliveries] == [
        (keen, "email", "daily_digest")
    ]
