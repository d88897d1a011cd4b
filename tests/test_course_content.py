"""Modules and resources: order, permutation checks, files for members only, events."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.course_helpers import API, create_course, enroll, events, make_assistant

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def _module(client, user, course_id, title):
    resp = await client.post(
        f"{API}/courses/{course_id}/modules", json={"title": title}, headers=user.headers
    )
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def _titles(client, user, course_id):
    resp = await client.get(f"{API}/courses/{course_id}/modules", headers=user.headers)
    assert resp.status == 200, await resp.text()
    return [m["title"] for m in (await resp.json())["items"]]


async def test_modules_in_order_and_reorder_is_a_permutation(client, users, db):
    ana = await users.create()
    cid = (await create_course(client, ana))["id"]
    a, b, c = [await _module(client, ana, cid, t) for t in "ABC"]
    assert await _titles(client, ana, cid) == ["A", "B", "C"]
    url = f"{API}/courses/{cid}/modules/order"
    for bad in (
        [c["id"], a["id"]],
        [c["id"], a["id"], a["id"]],
        [c["id"], a["id"], b["id"], ana.id.hex],
    ):
        resp = await client.put(url, json={"ids": [str(i) for i in bad]}, headers=ana.headers)
        assert resp.status == 422
        assert (await resp.json())["error"]["code"] == "not_a_permutation"
        assert await _titles(client, ana, cid) == ["A", "B", "C"]  # nothing applied
    resp = await client.put(url, json={"ids": [c["id"], a["id"], b["id"]]}, headers=ana.headers)
    assert resp.status == 200
    assert [m["title"] for m in (await resp.json())["items"]] == ["C", "A", "B"]
    assert await _titles(client, ana, cid) == ["C", "A", "B"]
    [reordered] = await events(db, "modules.reordered")
    assert reordered["streams"] == [f"course:{cid}"]
    assert reordered["data"]["ids"] == [c["id"], a["id"], b["id"]]
    assert [e["data"]["change"] for e in await events(db, "module.changed")] == ["created"] * 3


async def test_concurrent_reorders_never_mix(client, users):
    ana = await users.create()
    cid = (await create_course(client, ana))["id"]
    ids = [(await _module(client, ana, cid, t))["id"] for t in "ABCDE"]
    orders = [ids[n:] + ids[:n] for n in range(5)]
    url = f"{API}/courses/{cid}/modules/order"
    resps = await asyncio.gather(
        *(client.put(url, json={"ids": o}, headers=ana.headers) for o in orders)
    )
    assert all(r.status == 200 for r in resps)
    final = await (await client.get(f"{API}/courses/{cid}/modules", headers=ana.headers)).json()
    assert [m["id"] for m in final["items"]] in orders
    assert [m["position"] for m in final["items"]] == [1, 2, 3, 4, 5]


async def test_module_patch_delete_and_events(client, users, db):
    ana = await users.create()
    cid = (await create_course(client, ana))["id"]
    mod = await _module(client, ana, cid, "Intro")
    url = f"{API}/modules/{mod['id']}"
    resp = await client.patch(url, json={"description": "Start here"}, headers=ana.headers)
    assert resp.status == 200 and (await resp.json())["description"] == "Start here"
    assert (await client.patch(url, json={}, headers=ana.headers)).status == 422
    assert (await client.delete(url, headers=ana.headers)).status == 204
    assert (await client.delete(url, headers=ana.headers)).status == 404
    changes = [e["data"]["change"] for e in await events(db, "module.changed")]
    assert changes == ["created", "updated", "deleted"]


async def test_resources_links_order_and_validation(client, users, db):
    ana = await users.create()
    cid = (await create_course(client, ana))["id"]
    mod = await _module(client, ana, cid, "Week 1")
    url = f"{API}/modules/{mod['id']}/resources"
    bad = await client.post(
        url, json={"kind": "link", "title": "x", "url": "nope"}, headers=ana.headers
    )
    assert bad.status == 422
    made = []
    for kind, title in (("link", "Docs"), ("video", "Talk")):
        resp = await client.post(
            url,
            json={"kind": kind, "title": title, "url": "https://example.org/x"},
            headers=ana.headers,
        )
        assert resp.status == 201
        made.append(await resp.json())
    order = f"{API}/modules/{mod['id']}/resources/order"
    resp = await client.put(order, json={"ids": [made[1]["id"]]}, headers=ana.headers)
    assert resp.status == 422
    resp = await client.put(
        order, json={"ids": [made[1]["id"], made[0]["id"]]}, headers=ana.headers
    )
    assert [r["title"] for r in (await resp.json())["items"]] == ["Talk", "Docs"]
    patch = await client.patch(
        f"{API}/resources/{made[0]['id']}", json={"title": "Manual"}, headers=ana.headers
    )
    assert patch.status == 200 and (await patch.json())["title"] == "Manual"
    modules = await (await client.get(f"{API}/courses/{cid}/modules", headers=ana.headers)).json()
    assert [r["title"] for r in modules["items"][0]["resources"]] == ["Talk", "Manual"]
    changes = [e["data"]["change"] for e in await events(db, "resource.changed")]
    assert changes == ["created", "created", "reordered", "updated"]


async def test_file_resource_served_to_members_only(client, users, db):
    ana, sam, bob = await users.create(), await users.create(), await users.create()
    cid = (await create_course(client, ana))["id"]
    await enroll(client, sam, cid)
    mod = await _module(client, ana, cid, "Files")
    form = aiohttp.FormData()
    form.add_field("title", "Sky map")
    form.add_field("file", PNG, filename="map.txt", content_type="text/plain")
    resp = await client.post(f"{API}/modules/{mod['id']}/resources", data=form, headers=ana.headers)
    assert resp.status == 201, await resp.text()
    res = await resp.json()
    assert res["kind"] == "file" and res["file"]["content_type"] == "image/png"
    download = f"{API}/resources/{res['id']}/file"
    got = await client.get(download, headers=sam.headers)
    assert got.status == 200 and await got.read() == PNG
    assert got.headers["Content-Type"] == "image/png"
    assert (await client.get(download, headers=bob.headers)).status == 403
    assert (await client.get(download)).status == 401
    assert (await client.get(f"{API}/courses/{cid}/modules", headers=bob.headers)).status == 403
    evil = aiohttp.FormData()
    evil.add_field("file", b"\x00\x01binary", filename="x.png", content_type="image/png")
    resp = await client.post(f"{API}/modules/{mod['id']}/resources", data=evil, headers=ana.headers)
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "unsupported_file_type"
    assert await db.fetchval("SELECT count(*) FROM course_resources") == 1
    assert (await client.delete(f"{API}/resources/{res['id']}", headers=ana.headers)).status == 204
    assert (await client.get(download, headers=sam.headers)).status == 404


async def test_assistant_edits_are_logged(client, users):
    ana, al = await users.create(), await users.create()
    cid = (await create_course(client, ana))["id"]
    await make_assistant(client, ana, cid, al, edit_content=True)
    await _module(client, al, cid, "By Al")
    page = await (await client.get(f"{API}/courses/{cid}/activity", headers=ana.headers)).json()
    assert [e["action"] for e in page["items"]] == ["module.changed"]
    assert page["items"][0]["subject"]["change"] == "created"
