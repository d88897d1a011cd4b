"""Feedback: students rate a course once (editable); staff list it; staff rate students."""

from __future__ import annotations

from datetime import timedelta

from tests.course_helpers import API, create_course, enroll, events, later, make_assistant


async def test_student_rates_once_and_edits(client, users, db):
    ana, sam = await users.create(), await users.create("Sam")
    cid = (await create_course(client, ana))["id"]
    await enroll(client, sam, cid)
    url = f"{API}/courses/{cid}/feedback"
    first = await client.post(url, json={"rating": 4, "comment": "Good"}, headers=sam.headers)
    assert first.status == 201
    edit = await client.post(url, json={"rating": 5, "comment": "Great"}, headers=sam.headers)
    assert edit.status == 200 and (await edit.json())["rating"] == 5
    assert await db.fetchval("SELECT count(*) FROM course_feedback") == 1
    for bad in ({"rating": 0}, {"rating": 6}, {"rating": 3, "comment": "x" * 2001}):
        assert (await client.post(url, json=bad, headers=sam.headers)).status == 422
    received = await events(db, "feedback.received")
    assert [e["data"]["created"] for e in received] == [True, False]
    assert received[0]["streams"] == [f"course:{cid}:staff"]
    assert received[0]["data"]["user_id"] == str(sam.id)
    assert (await client.post(url, json={"rating": 3}, headers=ana.headers)).status == 403


async def test_staff_list_with_filters_average_and_distribution(client, users, clock):
    ana = await users.create()
    cid = (await create_course(client, ana))["id"]
    ratings = [5, 4, 4, 2, 5]
    for n, rating in enumerate(ratings):
        s = await users.create(f"S{n}")
        await enroll(client, s, cid)
        await client.post(
            f"{API}/courses/{cid}/feedback", json={"rating": rating}, headers=s.headers
        )
        if n == 2:
            [ana] = later(users, clock, timedelta(days=3), ana)
    url = f"{API}/courses/{cid}/feedback"
    page = await (await client.get(url, headers=ana.headers)).json()
    assert page["count"] == 5 and page["average"] == 4.0
    assert page["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 2, "5": 2}
    fours = await (await client.get(f"{url}?rating=4", headers=ana.headers)).json()
    assert fours["count"] == 2 and {i["rating"] for i in fours["items"]} == {4}
    recent = await (
        await client.get(f"{url}?from={clock.now().date()}", headers=ana.headers)
    ).json()
    assert sorted(i["rating"] for i in recent["items"]) == [2, 5]
    seen, cursor = [], None
    while True:
        q = f"{url}?limit=2" + (f"&cursor={cursor}" if cursor else "")
        p = await (await client.get(q, headers=ana.headers)).json()
        seen += [i["student_id"] for i in p["items"]]
        if not (cursor := p["next_cursor"]):
            break
    assert len(seen) == len(set(seen)) == 5


async def test_staff_feedback_to_student_and_my_feedback(client, users, db, clock):
    ana, sam, al = await users.create("Ana"), await users.create(), await users.create("Al")
    cid = (await create_course(client, ana, title="Optics"))["id"]
    await enroll(client, sam, cid)
    await make_assistant(client, ana, cid, al, grade=True)
    url = f"{API}/courses/{cid}/students/{sam.id}/feedback"
    resp = await client.post(url, json={"rating": 5, "comment": "Excellent"}, headers=al.headers)
    assert resp.status == 201
    clock.advance(timedelta(minutes=1))  # newest first: Ana's comes after Al's
    await client.post(url, json={"rating": 2, "comment": "Late"}, headers=ana.headers)
    nobody = f"{API}/courses/{cid}/students/{al.id}/feedback"
    assert (await client.post(nobody, json={"rating": 3}, headers=ana.headers)).status == 404
    mine = await (await client.get(f"{API}/users/me/feedback", headers=sam.headers)).json()
    assert [(i["author_name"], i["rating"]) for i in mine["items"]] == [("Ana", 2), ("Al", 5)]
    assert mine["items"][0]["course_title"] == "Optics"
    fives = await (
        await client.get(f"{API}/users/me/feedback?rating=5", headers=sam.headers)
    ).json()
    assert [i["comment"] for i in fives["items"]] == ["Excellent"]
    others = await (await client.get(f"{API}/users/me/feedback", headers=al.headers)).json()
    assert others["items"] == []
    sent = [e for e in await events(db, "feedback.received") if e["data"]["about"] == "student"]
    assert len(sent) == 2 and sent[0]["streams"] == [f"user:{sam.id}", f"course:{cid}:staff"]
    page = await (await client.get(f"{API}/courses/{cid}/activity", headers=ana.headers)).json()
    assert [e["action"] for e in page["items"]] == ["student_feedback.created"]
