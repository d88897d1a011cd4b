"""Trends through HTTP: buckets in the caller's time zone, empty ones kept, the moving average,
and the role matrix (staff see the course; a student sees only their own figures)."""

from __future__ import annotations

from tests.analytics_helpers import course_history, set_preferences
from tests.course_helpers import API

ROUNDED = ("average_percent", "moving_average_percent", "submission_rate", "on_time_rate")


def figures(buckets: list[dict]) -> list[tuple]:
    keys = ("label", "assignments", *ROUNDED, "late_count")
    return [tuple(b[k] for k in keys) for b in buckets]


async def test_course_trends_by_week_in_buenos_aires(client, users, clock):
    h = await course_history(client, users, clock, feedback=False)
    url = f"{API}/courses/{h.c.course_id}/stats/trends"
    resp = await client.get(url, headers=h.headers(users, "owner"))
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["timezone"] == "America/Argentina/Buenos_Aires" and body["window"] == 3
    assert figures(body["buckets"]) == [
        ("2026-W02", 1, 100.0, 100.0, 1.0, 1.0, 0),  # A1, due Sunday 23:30 in Buenos Aires
        ("2026-W03", 1, 65.0, 82.5, 1.0, 0.5, 1),  # A2: Sam 50, Sue 80 (late)
        ("2026-W04", 0, None, 82.5, None, None, None),  # nothing due: present, with nulls
        ("2026-W05", 1, 90.0, 77.5, 0.5, 0.5, 0),  # A3: Sue 90, Sam missing
        ("2026-W06", 1, 100.0, 95.0, 0.5, 0.5, 0),  # A4: Sue 100, Sam missing
    ]
    first = body["buckets"][0]
    assert first["start"] == "2026-01-05T00:00:00-03:00"
    assert first["end"] == "2026-01-12T00:00:00-03:00"


async def test_time_zone_follows_preference_and_override(client, users, clock, mongo):
    h = await course_history(client, users, clock, feedback=False)
    url = f"{API}/courses/{h.c.course_id}/stats/trends"
    await set_preferences(mongo, h.c.owner, locale="en", timezone="UTC")
    body = await (await client.get(url, headers=h.headers(users, "owner"))).json()
    assert body["timezone"] == "UTC"
    # In UTC, A1 is due on Monday 02:30: the same week as A2.
    assert figures(body["buckets"])[0] == ("2026-W03", 2, 82.5, 82.5, 1.0, 0.75, 1)
    assert [b["label"] for b in body["buckets"]] == ["2026-W03", "2026-W04", "2026-W05", "2026-W06"]
    override = await client.get(
        url, params={"tz": "America/Argentina/Buenos_Aires"}, headers=h.headers(users, "owner")
    )
    assert (await override.json())["buckets"][0]["label"] == "2026-W02"
    month = await client.get(url, params={"bucket": "month"}, headers=h.headers(users, "owner"))
    assert figures((await month.json())["buckets"]) == [
        ("2026-01", 3, 84.0, 84.0, 0.8333, 0.6667, 1),  # 5 of 6 handed in, 4 on time
        ("2026-02", 1, 100.0, 92.0, 0.5, 0.5, 0),
    ]


async def test_my_trends_are_my_own(client, users, clock):
    h = await course_history(client, users, clock, feedback=False)
    url = f"{API}/users/me/stats/trends"
    params = {"course_id": h.c.course_id}
    sam = await (await client.get(url, params=params, headers=h.headers(users, "sam"))).json()
    assert figures(sam["buckets"]) == [
        ("2026-W02", 1, 100.0, 100.0, 1.0, 1.0, 0),
        ("2026-W03", 1, 50.0, 75.0, 1.0, 1.0, 0),
        ("2026-W04", 0, None, 75.0, None, None, None),
        ("2026-W05", 1, None, 50.0, 0.0, 0.0, 0),
        ("2026-W06", 1, None, None, 0.0, 0.0, 0),
    ]
    sue = await (await client.get(url, params=params, headers=h.headers(users, "sue"))).json()
    assert [b["average_percent"] for b in sue["buckets"]] == [100.0, 80.0, None, 90.0, 100.0]
    assert [b["late_count"] for b in sue["buckets"]] == [0, 1, None, 0, 0]


STAFF_ONLY = {
    "anonymous": 401,
    "other": 403,
    "sam": 403,
    "assistant_without": 200,
    "assistant_with": 200,
    "owner": 200,
}


async def test_course_trends_role_matrix(client, users, clock):
    h = await course_history(client, users, clock, feedback=False)
    for who, status in STAFF_ONLY.items():
        headers = {} if who == "anonymous" else h.headers(users, who)
        resp = await client.get(f"{API}/courses/{h.c.course_id}/stats/trends", headers=headers)
        assert resp.status == status, (who, await resp.text())
        assert ("buckets" in await resp.json()) is (status == 200)


async def test_my_trends_refuse_non_students_and_other_students_ids(client, users, clock):
    h = await course_history(client, users, clock, feedback=False)
    url = f"{API}/users/me/stats/trends"
    for who in ("owner", "other", "assistant_with"):
        resp = await client.get(
            url, params={"course_id": h.c.course_id}, headers=h.headers(users, who)
        )
        assert resp.status == 403, who
    # There is no way to name someone else: unknown parameters are refused.
    resp = await client.get(
        url,
        params={"course_id": h.c.course_id, "student_id": str(h.sue.id)},
        headers=h.headers(users, "sam"),
    )
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "validation_failed"


BAD_QUERIES = [
    ({"bucket": "day"}, "query.bucket"),
    ({"tz": "Mars/Olympus_Mons"}, "query.tz"),
    ({"tz": "../../etc/passwd"}, "query.tz"),
    ({"window": "0"}, "query.window"),
    ({"from": "2026-01-01"}, "query.from"),  # no time zone: ambiguous
]


async def test_bad_trend_queries_are_422(client, users, clock):
    h = await course_history(client, users, clock, feedback=False)
    url = f"{API}/courses/{h.c.course_id}/stats/trends"
    for params, field in BAD_QUERIES:
        resp = await client.get(url, params=params, headers=h.headers(users, "owner"))
        assert resp.status == 422, params
        details = (await resp.json())["error"]["details"]
        assert [d["field"] for d in details] == [field]


async def test_inverted_and_huge_ranges_are_refused(client, users, clock):
    h = await course_history(client, users, clock, feedback=False)
    url = f"{API}/courses/{h.c.course_id}/stats/trends"
    owner = h.headers(users, "owner")
    inverted = {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    resp = await client.get(url, params=inverted, headers=owner)
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "invalid_range"
    huge = {"from": "2000-01-01T00:00:00Z"}
    resp = await client.get(url, params=huge, headers=owner)
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "range_too_large"
