"""The catalog, "my courses" and favourites: search, filters, cursors, badges, my_role."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.course_helpers import API, TODAY, create_course, enroll, events, later


async def _catalog(client, user, **params) -> dict:
    resp = await client.get(f"{API}/courses", params=params, headers=user.headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_keyword_search_and_filters(client, users):
    ana = await users.create()
    await create_course(
        client, ana, title="Galaxies and stars", level="advanced", description="Far away."
    )
    await create_course(client, ana, title="Cooking pasta", category="food", description="Yum")
    await create_course(
        client, ana, title="Stellar physics", description="How stars burn", modality="hybrid"
    )
    found = await _catalog(client, ana, q="stars")
    assert sorted(i["title"] for i in found["items"]) == ["Galaxies and stars", "Stellar physics"]
    found = await _catalog(client, ana, q="stars", level="advanced")
    assert [i["title"] for i in found["items"]] == ["Galaxies and stars"]
    found = await _catalog(client, ana, category="food", modality="online")
    assert [i["title"] for i in found["items"]] == ["Cooking pasta"]
    assert (await _catalog(client, ana, q="stars", modality="in_person"))["items"] == []


async def test_date_filters_and_closed_courses_leave_the_catalog(client, users, clock):
    ana = await users.create()
    early = await create_course(
        client,
        ana,
        title="Early",
        starts_on=str(TODAY + timedelta(2)),
        enroll_until=str(TODAY + timedelta(1)),
    )
    await create_course(
        client,
        ana,
        title="Late",
        starts_on=str(TODAY + timedelta(30)),
        enroll_until=str(TODAY + timedelta(29)),
    )
    found = await _catalog(client, ana, starts_before=str(TODAY + timedelta(10)))
    assert [i["id"] for i in found["items"]] == [early["id"]]
    found = await _catalog(client, ana, starts_after=str(TODAY + timedelta(10)))
    assert [i["title"] for i in found["items"]] == ["Late"]
    [ana] = later(users, clock, timedelta(days=2), ana)  # Early's enrollment is now closed
    assert [i["title"] for i in (await _catalog(client, ana))["items"]] == ["Late"]


async def test_seats_badges_and_my_role(client, users, clock):
    ana, sam, bob = await users.create(), await users.create(), await users.create()
    small = await create_course(client, ana, capacity=10, enroll_until=str(TODAY + timedelta(5)))
    await enroll(client, sam, small["id"])
    item = (await _catalog(client, bob))["items"][0]
    assert item["seats_left"] == 9 and item["badges"] == [] and item["my_role"] is None
    for _ in range(8):
        await enroll(client, await users.create(), small["id"])
    ana, sam, bob = later(users, clock, timedelta(days=2), ana, sam, bob)  # closes in 3 days
    item = (await _catalog(client, sam))["items"][0]
    assert item["seats_left"] == 1
    assert item["badges"] == ["limited_seats", "last_days"] and item["my_role"] == "student"
    assert (await _catalog(client, ana))["items"][0]["my_role"] == "owner"
    await enroll(client, await users.create(), small["id"])
    assert (await _catalog(client, bob, available_only="true"))["items"] == []


async def test_cursor_pages_are_stable_under_concurrent_inserts(client, users):
    ana = await users.create()
    made = []
    for day in range(7):
        made.append(
            await create_course(
                client, ana, title=f"Course {day}", starts_on=str(TODAY + timedelta(10 + day))
            )
        )
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = await _catalog(client, ana, **params)
        seen += [i["id"] for i in page["items"]]
        if len(seen) == 3:  # courses created mid-way, before and after the cursor
            await create_course(client, ana, title="Earlier", starts_on=str(TODAY + timedelta(10)))
            await create_course(client, ana, title="Later", starts_on=str(TODAY + timedelta(40)))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    titles = [i["title"] for i in made]
    assert seen[:7] == [c["id"] for c in made] and len(seen) == len(set(seen)) == 8
    assert titles == [f"Course {d}" for d in range(7)]


async def test_bad_cursor_and_limit(client, users):
    ana = await users.create()
    resp = await client.get(f"{API}/courses?cursor=garbage", headers=ana.headers)
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "invalid_cursor"
    resp = await client.get(f"{API}/courses?limit=101", headers=ana.headers)
    assert resp.status == 422
    assert (await client.get(f"{API}/courses")).status == 401


async def test_my_courses_teaching_learning_active_finished(client, users, clock):
    ana, sam = await users.create(), await users.create()
    taught = await create_course(client, ana, title="Taught")
    learned = await create_course(client, sam, title="Learned")
    await enroll(client, ana, learned["id"])
    short = await create_course(client, sam, title="Short", ends_on=str(TODAY + timedelta(12)))
    await enroll(client, ana, short["id"])

    async def mine(**params):
        resp = await client.get(f"{API}/users/me/courses", params=params, headers=ana.headers)
        return sorted(i["title"] for i in (await resp.json())["items"])

    assert await mine(role="teaching") == ["Taught"]
    assert await mine(role="learning") == ["Learned", "Short"]
    [ana] = later(users, clock, timedelta(days=13), ana)
    assert await mine(role="learning", state="finished") == ["Short"]
    assert await mine(state="active") == ["Learned", "Taught"]
    assert await mine(q="taught") == ["Taught"]
    assert taught["my_role"] == "owner"


async def test_favorites(client, users, db):
    ana, bob = await users.create(), await users.create()
    a = await create_course(client, ana, title="Alpha", level="advanced")
    await create_course(client, ana, title="Beta")
    url = f"{API}/courses/{a['id']}/favorite"
    assert (await client.put(url, headers=bob.headers)).status == 204
    assert (await client.put(url, headers=bob.headers)).status == 204  # idempotent
    favs = await (await client.get(f"{API}/users/me/favorites", headers=bob.headers)).json()
    assert [i["title"] for i in favs["items"]] == ["Alpha"]
    favs = await (
        await client.get(f"{API}/users/me/favorites?level=beginner", headers=bob.headers)
    ).json()
    assert favs["items"] == []
    assert (await client.delete(url, headers=bob.headers)).status == 204
    favs = await (await client.get(f"{API}/users/me/favorites", headers=bob.headers)).json()
    assert favs["items"] == []
    changes = await events(db, "favorite.changed")
    assert [e["data"]["favorite"] for e in changes] == [True, False]
    assert changes[0]["streams"] == [f"user:{bob.id}"]
    missing = f"{API}/courses/00000000-0000-0000-0000-000000000000/favorite"
    assert (await client.put(missing, headers=bob.headers)).status == 404


async def test_catalog_serves_concurrent_readers(client, users):
    ana = await users.create()
    await create_course(client, ana)
    pages = await asyncio.gather(*(_catalog(client, ana, q="astronomy") for _ in range(10)))
    assert all(len(p["items"]) == 1 for p in pages)
