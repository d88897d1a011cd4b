"""Profiles: my profile and edits, email change, photos, public profiles, search, devices."""

from __future__ import annotations

import io
import struct
import zlib

import pytest

from tests.accounts_flow import bearer, error_of, pin_for, signup


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
async def ana(client, settings):
    return await signup(client, settings.data_dir, "ana@example.com", name="Ana Pérez")


async def test_me_and_patch(client, ana, db):
    headers = bearer(ana)
    patch = {
        "name": "Ana P.",
        "bio": "Teacher",
        "locale": "es-AR",
        "location": {"lat": -34.6, "lon": -58.4},
    }
    resp = await client.patch("/api/v1/users/me", json=patch, headers=headers)
    assert resp.status == 200
    me = await (await client.get("/api/v1/users/me", headers=headers)).json()
    assert (me["name"], me["bio"], me["locale"]) == ("Ana P.", "Teacher", "es-AR")
    assert me["location"] == {"lat": -34.6, "lon": -58.4} and me["email"] == "ana@example.com"
    # Only what is sent changes; null clears the location.
    resp = await client.patch("/api/v1/users/me", json={"location": None}, headers=headers)
    body = await resp.json()
    assert body["location"] is None and body["bio"] == "Teacher"


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"location": {"lat": 91, "lon": 0}}, "body.location.lat"),
        ({"location": {"lat": 0}}, "body.location.lon"),
        ({"name": ""}, "body.name"),
        ({"name": None}, "body.name"),
        ({"locale": "spanish please"}, "body.locale"),
        ({"bio": "x" * 501}, "body.bio"),
        ({"email_verified": True}, "body.email_verified"),
        ({"email": "nope"}, "body.email"),
    ],
)
async def test_patch_validation_writes_nothing(client, ana, db, patch, field):
    before = await db.fetchrow("SELECT * FROM users")
    resp = await client.patch("/api/v1/users/me", json=patch, headers=bearer(ana))
    body = await resp.json()
    assert resp.status == 422 and body["error"]["code"] == "validation_failed"
    assert field in {d["field"] for d in body["error"]["details"]}
    assert await db.fetchrow("SELECT * FROM users") == before


async def test_email_change_waits_for_the_new_pin(client, ana, settings):
    headers = bearer(ana)
    resp = await client.patch(
        "/api/v1/users/me", json={"email": "ana.new@example.com"}, headers=headers
    )
    body = await resp.json()
    assert body["email"] == "ana@example.com" and body["pending_email"] == "ana.new@example.com"
    # The old address still logs in until the new one is proven.
    login = {"email": "ana@example.com", "password": "correct horse battery"}
    assert (await client.post("/api/v1/auth/login", json=login)).status == 200
    pin = await pin_for(settings.data_dir, "ana.new@example.com")
    resp = await client.post(
        "/api/v1/auth/verify-email", json={"email": "ana.new@example.com", "pin": pin}
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["email"] == "ana.new@example.com" and body["pending_email"] is None
    assert (await client.post("/api/v1/auth/login", json=login)).status == 401
    login["email"] = "ana.new@example.com"
    assert (await client.post("/api/v1/auth/login", json=login)).status == 200


async def test_email_change_to_a_taken_address_is_a_conflict(client, ana, settings, users):
    bob = await users.create("Bob", email="bob@example.com")
    resp = await client.patch("/api/v1/users/me", json={"email": bob.email}, headers=bearer(ana))
    assert await error_of(resp) == (409, "email_taken")


async def test_photo_upload_sniffs_content_and_serves_the_file(client, ana, users, db):
    headers = {**bearer(ana), "Content-Type": "application/octet-stream"}
    resp = await client.put("/api/v1/users/me/photo", data=png(), headers=headers)
    assert resp.status == 200, await resp.text()
    url = (await resp.json())["photo_url"]
    assert url and await db.fetchval("SELECT photo_key FROM users") is not None
    bob = await users.create("Bob")
    public = await (
        await client.get(f"/api/v1/users/{ana['user']['id']}", headers=bob.headers)
    ).json()
    assert public["photo_url"] == url
    resp = await client.delete("/api/v1/users/me/photo", headers=bearer(ana))
    assert resp.status == 200 and (await resp.json())["photo_url"] is None


async def test_text_sent_as_jpeg_is_refused(client, ana, db):
    headers = {**bearer(ana), "Content-Type": "image/jpeg"}
    resp = await client.put(
        "/api/v1/users/me/photo", data=b"just some text\n" * 10, headers=headers
    )
    assert await error_of(resp) == (422, "unsupported_image_type")
    assert await db.fetchval("SELECT photo_key FROM users") is None


async def test_photo_over_10_mb_is_413(client, ana, db):
    big = png() + b"\x00" * (10 * 1024 * 1024 + 100 * 1024)  # 10.1 MB, a PNG by its header
    headers = {**bearer(ana), "Content-Type": "image/png"}
    resp = await client.put("/api/v1/users/me/photo", data=io.BytesIO(big), headers=headers)
    assert await error_of(resp) == (413, "payload_too_large")

    async def chunks():  # no Content-Length: the streaming cap still holds
        stream = io.BytesIO(big)
        while block := stream.read(1 << 20):
            yield block

    resp = await client.put("/api/v1/users/me/photo", data=chunks(), headers=headers)
    assert await error_of(resp) == (413, "payload_too_large")
    assert await db.fetchval("SELECT photo_key FROM users") is None


async def test_public_profile_has_public_fields_only(client, ana, users, db):
    await client.patch(
        "/api/v1/users/me",
        json={"bio": "Hi", "location": {"lat": 1, "lon": 2}, "locale": "es"},
        headers=bearer(ana),
    )
    await client.post(
        "/api/v1/users/me/devices",
        json={"token": "fcm-secret-token", "platform": "android"},
        headers=bearer(ana),
    )
    bob = await users.create("Bob")
    resp = await client.get(f"/api/v1/users/{ana['user']['id']}", headers=bob.headers)
    assert resp.status == 200
    text = await resp.text()
    assert set(await resp.json()) == {"id", "name", "bio", "photo_url"}
    for private in ("ana@example.com", "fcm-secret-token", "argon2", '"lat"', "locale"):
        assert private not in text


async def test_unknown_deleted_or_malformed_profiles_are_not_available(client, users, db):
    bob, gone = await users.create("Bob"), await users.create("Gone")
    await db.execute("UPDATE users SET status = 'deleted' WHERE id = $1", gone.id)
    for target in (gone.id, "00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        resp = await client.get(f"/api/v1/users/{target}", headers=bob.headers)
        assert await error_of(resp) == (404, "profile_not_available")


async def test_search_by_name_prefix_with_pages(client, users):
    me = await users.create("Searcher", email="searcher@example.com")
    for i in range(5):
        await users.create(f"Maria {i}", email=f"m{i}@school.example.com")
    await users.create("Mario Bros", email="plumber@example.com")
    await users.create("Zed", email="maria.hidden@example.com")  # never found by its email
    gone = await users.create("Maria Gone", email="gone@example.com")
    await users.db.execute("UPDATE users SET status = 'deleted' WHERE id = $1", gone.id)

    seen, cursor = [], None
    while True:
        params = {"q": "MARI", "limit": "3", **({"cursor": cursor} if cursor else {})}
        resp = await client.get("/api/v1/users", params=params, headers=me.headers)
        assert resp.status == 200
        page = await resp.json()
        text = await resp.text()
        assert "@" not in text  # no email, ever
        for item in page["items"]:
            assert set(item) == {"id", "name", "bio", "photo_url"}
        seen += [item["name"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["Maria 0", "Maria 1", "Maria 2", "Maria 3", "Maria 4", "Mario Bros"]

    by_email = await (
        await client.get("/api/v1/users", params={"q": "plumber@"}, headers=me.headers)
    ).json()
    assert by_email["items"] == []
    wild = await (await client.get("/api/v1/users", params={"q": "%"}, headers=me.headers)).json()
    assert wild["items"] == []


@pytest.mark.parametrize(
    "params", [{"q": "a", "limit": "101"}, {"q": ""}, {}, {"q": "a", "cursor": "!!"}]
)
async def test_search_rejects_bad_queries(client, users, params):
    me = await users.create()
    resp = await client.get("/api/v1/users", params=params, headers=me.headers)
    assert resp.status == 422


async def test_devices(client, ana, users, db):
    headers = bearer(ana)
    body = {"token": "fcm:abc-123_x", "platform": "ios"}
    resp = await client.post("/api/v1/users/me/devices", json=body, headers=headers)
    assert resp.status == 201 and (await resp.json())["platform"] == "ios"
    assert (await client.post("/api/v1/users/me/devices", json=body, headers=headers)).status == 201
    assert await db.fetchval("SELECT count(*) FROM devices") == 1
    bad = await client.post(
        "/api/v1/users/me/devices", json={"token": "t", "platform": "symbian"}, headers=headers
    )
    assert bad.status == 422
    bob = await users.create("Bob")
    resp = await client.delete("/api/v1/users/me/devices/fcm:abc-123_x", headers=bob.headers)
    assert await error_of(resp) == (404, "device_not_found")
    resp = await client.delete("/api/v1/users/me/devices/fcm:abc-123_x", headers=headers)
    assert resp.status == 204
    assert await db.fetchval("SELECT count(*) FROM devices") == 0


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/v1/users/me"),
        ("PATCH", "/api/v1/users/me"),
        ("PUT", "/api/v1/users/me/photo"),
        ("DELETE", "/api/v1/users/me/photo"),
        ("GET", "/api/v1/users?q=a"),
        ("GET", "/api/v1/users/00000000-0000-0000-0000-000000000000"),
        ("POST", "/api/v1/users/me/devices"),
        ("DELETE", "/api/v1/users/me/devices/x"),
    ],
)
async def test_anonymous_callers_are_refused(client, method, path):
    resp = await client.request(method, path, json={})
    assert await error_of(resp) == (401, "unauthenticated")
