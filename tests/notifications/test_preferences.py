"""GET/PUT /users/me/notification-preferences: defaults, validation with field paths, locked
critical types, and that a refused change writes nothing."""

from __future__ import annotations

import json

from tests.course_helpers import API
from tests.notifications.helpers import set_preferences

URL = f"{API}/users/me/notification-preferences"


async def audits(db) -> list[dict]:
    rows = await db.fetch("SELECT data::text AS data FROM outbox WHERE type = 'audit.recorded'")
    return [json.loads(r["data"]) for r in rows]


async def test_defaults_cover_every_type_and_channel(client, users):
    user = await users.create()
    resp = await client.get(URL, headers=user.headers)
    assert resp.status == 200
    prefs = await resp.json()
    assert (prefs["locale"], prefs["timezone"], prefs["quiet_hours"]) == (
        "es",
        "America/Argentina/Buenos_Aires",
        None,
    )
    assert prefs["events"]["submission.created"] == {
        "in_app": "immediate",
        "email": "off",
        "push": "off",
    }
    assert prefs["events"]["account.password_changed"]["email"] == "immediate"
    assert "account.blocked" in prefs["critical"] and "grade.published" not in prefs["critical"]


async def test_a_change_is_stored_audited_and_read_back(client, users, db, mongo):
    user = await users.create()
    body = {
        "locale": "en",
        "timezone": "Europe/Madrid",
        "quiet_hours": {"start": "22:00", "end": "08:00"},
        "events": {
            "grade.published": {"email": "daily_digest", "push": "off"},
            "submission.created": {"email": "immediate"},
            "account.locked": {"push": "immediate", "email": "immediate"},
        },
    }
    saved = await set_preferences(client, user, body)
    assert saved == await (await client.get(URL, headers=user.headers)).json()
    assert saved["quiet_hours"] == {"start": "22:00", "end": "08:00"}
    assert saved["events"]["grade.published"] == {
        "in_app": "immediate",
        "email": "daily_digest",
        "push": "off",
    }
    assert saved["events"]["account.locked"]["push"] == "immediate"
    stored = await mongo.notification_preferences.find_one({"_id": str(user.id)})
    assert stored["events"] == {  # only what differs from the defaults
        "grade.published": {"email": "daily_digest", "push": "off"},
        "submission.created": {"email": "immediate"},
        "account.locked": {"push": "immediate"},
    }
    [audit] = await audits(db)
    assert audit["action"] == "notification_preferences.update"
    assert audit["changes"]["locale"] == ["es", "en"]

    # PUT replaces: what is left out goes back to its default.
    again = await set_preferences(client, user, {"locale": "en"})
    assert again["quiet_hours"] is None and again["timezone"] == "America/Argentina/Buenos_Aires"
    assert again["events"]["grade.published"]["push"] == "immediate"


async def test_bad_preferences_are_refused_with_the_fields_path_and_write_nothing(
    client, users, db, mongo
):
    user = await users.create()
    grade = "body.events.grade.published"
    cases = [
        ({"events": {"homework.eaten": {"email": "off"}}}, "body.events.homework.eaten.[key]"),
        ({"events": {"grade.published": {"sms": "off"}}}, f"{grade}.sms"),
        ({"events": {"grade.published": {"email": "hourly"}}}, f"{grade}.email"),
        (
            {"events": {"grade.published": {"push": "daily_digest"}}},
            f"{grade}.push",
        ),
        ({"quiet_hours": {"start": "22:00", "end": "8am"}}, "body.quiet_hours.end"),
        ({"quiet_hours": {"start": "24:00", "end": "08:00"}}, "body.quiet_hours.start"),
        ({"timezone": "Mars/Olympus_Mons"}, "body.timezone"),
        ({"locale": "fr"}, "body.locale"),
        ({"volume": 11}, "body.volume"),
    ]
    for body, field in cases:
        resp = await client.put(URL, json=body, headers=user.headers)
        assert resp.status == 422, body
        error = (await resp.json())["error"]
        assert error["code"] == "validation_failed"
        assert field in [d["field"] for d in error["details"]], (body, error["details"])

    resp = await client.put(
        URL, json={"events": {"account.blocked": {"email": "off"}}}, headers=user.headers
    )
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["code"] == "preference_locked"
    assert error["details"][0]["field"] == "body.events.account.blocked.email"
    resp = await client.put(
        URL, json={"events": {"account.locked": {"email": "daily_digest"}}}, headers=user.headers
    )
    assert (await resp.json())["error"]["code"] == "preference_locked"

    assert await mongo.notification_preferences.count_documents({}) == 0
    assert await audits(db) == []
