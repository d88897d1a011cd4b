"""HTTP CORS held to the configured origins (and the server's own), preflights answered from the
route table, and request bodies capped per route with a 413 in the error shape that writes
nothing, whether the client states the length or streams the body."""

from __future__ import annotations

import io
import json

import pytest

from server.handlers.body_limits import NO_BODY_BYTES
from server.handlers.cors import ALLOWED_HEADERS
from server.settings import Settings
from tests.assignment_helpers import PDF, create_assignment
from tests.course_helpers import API, course_body, create_course
from tests.route_walk import concrete, endpoints

CONSOLE = "https://console.example.org"
EVIL = ["https://evil.example", "null", "https://console.example.org.evil.example",
        "http://console.example.org"]  # fmt: skip
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.allowed_origins = [CONSOLE]
    return settings


def own_origin(client) -> str:
    return f"http://{client.host}:{client.port}"


def assert_error(body: dict, code: str) -> dict:
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


def test_no_origin_is_allowed_by_default(tmp_path):
    assert Settings(_env_file=None, data_dir=tmp_path).allowed_origins == []  # type: ignore[call-arg]


async def test_requests_without_origin_are_not_browsers_and_pass(client, users):
    ana = await users.create()
    resp = await client.get(f"{API}/users/me", headers=ana.headers)
    assert resp.status == 200
    assert "Access-Control-Allow-Origin" not in resp.headers


async def test_other_origins_are_refused_on_every_route_and_write_nothing(client, app, users, db):
    ana = await users.create()
    before = await db.fetchval("SELECT count(*) FROM courses")
    walked = 0
    for ep in endpoints(app):
        for origin in EVIL[:2]:
            resp = await client.request(
                ep.method, concrete(ep.path), json={}, headers={**ana.headers, "Origin": origin}
            )
            assert resp.status == 403, (ep.method, ep.path, origin)
            assert_error(await resp.json(), "origin_not_allowed")
            assert "Access-Control-Allow-Origin" not in resp.headers
        walked += 1
    assert walked > 100
    resp = await client.post(
        f"{API}/courses", json=course_body(), headers={**ana.headers, "Origin": EVIL[2]}
    )
    assert resp.status == 403
    assert await db.fetchval("SELECT count(*) FROM courses") == before


@pytest.mark.parametrize("which", ["configured", "own"])
async def test_allowed_origins_are_named_and_never_given_credentials(client, users, which):
    origin = CONSOLE if which == "configured" else own_origin(client)
    ana = await users.create()
    for path, status in ((f"{API}/users/me", 200), (f"{API}/no/such", 404)):
        resp = await client.get(path, headers={**ana.headers, "Origin": origin})
        assert resp.status == status
        assert resp.headers["Access-Control-Allow-Origin"] == origin
        assert "Origin" in resp.headers.getall("Vary")
        assert "Access-Control-Allow-Credentials" not in resp.headers
        assert "Retry-After" in resp.headers["Access-Control-Expose-Headers"]
    # The error shape reaches the allowed page too (here: the body cap).
    resp = await client.post(
        f"{API}/courses",
        data=io.BytesIO(b"x" * (2 << 20)),
        headers={**ana.headers, **JSON, "Origin": origin},
    )
    assert resp.status == 413 and resp.headers["Access-Control-Allow-Origin"] == origin


async def test_preflight_names_the_routes_methods_and_the_headers_the_api_reads(client):
    ask = {
        "Origin": CONSOLE,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    }
    resp = await client.options(f"{API}/courses", headers=ask)
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == CONSOLE
    assert set(resp.headers["Access-Control-Allow-Methods"].split(", ")) == {"GET", "POST"}
    assert resp.headers["Access-Control-Allow-Headers"] == ", ".join(ALLOWED_HEADERS)
    assert int(resp.headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in resp.headers
    one = await client.options(
        f"{API}/assignments/{'0' * 8}-0000-0000-0000-{'0' * 12}", headers=ask
    )
    assert set(one.headers["Access-Control-Allow-Methods"].split(", ")) == {
        "GET", "PATCH", "DELETE",
    }  # fmt: skip

    refused = await client.options(f"{API}/courses", headers={**ask, "Origin": EVIL[0]})
    assert refused.status == 403
    assert_error(await refused.json(), "origin_not_allowed")
    odd = await client.options(
        f"{API}/courses", headers={**ask, "Access-Control-Request-Headers": "X-Evil"}
    )
    assert odd.status == 403
    assert assert_error(await odd.json(), "header_not_allowed")["details"] == [
        {"headers": ["X-Evil"]}
    ]
    missing = await client.options(f"{API}/no/such/route", headers=ask)
    assert missing.status == 404
    # Not a preflight (no Origin): the route table answers as before.
    assert (await client.options(f"{API}/courses")).status == 405


async def test_a_json_route_refuses_a_body_over_its_cap_before_reading_it(client, users, db):
    ana = await users.create()
    big = json.dumps({"title": "x" * (2 << 20)}).encode()  # refused by its stated length
    resp = await client.post(
        f"{API}/courses", data=io.BytesIO(big), headers={**ana.headers, **JSON}
    )
    assert resp.status == 413
    error = assert_error(await resp.json(), "payload_too_large")
    assert error["details"] == [{"max_bytes": 1 << 20}]
    assert await db.fetchval("SELECT count(*) FROM courses") == 0


async def test_a_streamed_json_body_is_cut_off_at_the_cap(client, users, db):
    ana = await users.create()

    async def chunks():  # no Content-Length: only reading can tell
        yield b'{"title": "'
        for _ in range(5):
            yield b"x" * (1 << 20)
        yield b'"}'

    resp = await client.post(f"{API}/courses", data=chunks(), headers={**ana.headers, **JSON})
    assert resp.status == 413
    assert_error(await resp.json(), "payload_too_large")
    assert await db.fetchval("SELECT count(*) FROM courses") == 0


async def test_a_route_that_takes_no_body_takes_a_small_one_at_most(client, users, db):
    owner = await users.create()
    course = await create_course(client, owner)
    draft = await create_assignment(client, owner, course["id"])
    url = f"{API}/assignments/{draft['id']}/publish"
    resp = await client.post(url, data=b"{" + b" " * NO_BODY_BYTES + b"}", headers=owner.headers)
    assert resp.status == 413
    assert assert_error(await resp.json(), "payload_too_large")["details"] == [
        {"max_bytes": NO_BODY_BYTES}
    ]
    published = "SELECT published_at FROM assignments WHERE id = $1::uuid"
    assert await db.fetchval(published, draft["id"]) is None
    resp = await client.post(url, json={}, headers=owner.headers)  # an empty body is fine
    assert resp.status == 200, await resp.text()


async def test_uploads_take_more_than_json_but_not_more_than_their_cap(client, users, db, settings):
    ana = await users.create()
    pdf = PDF + b"%" + b"x" * (3 << 20)  # over the JSON cap, under the upload cap
    form = {"file": io.BytesIO(pdf)}
    resp = await client.post(f"{API}/uploads", data=form, headers=ana.headers)
    assert resp.status == 201, await resp.text()
    photo = b"\x89PNG\r\n\x1a\n" + b"x" * (11 << 20)  # the photo route's own cap is 10 MB
    resp = await client.put(
        f"{API}/users/me/photo",
        data=io.BytesIO(photo),
        headers={**ana.headers, "Content-Type": "image/png"},
    )
    assert resp.status == 413
    assert assert_error(await resp.json(), "payload_too_large")["details"] == [
        {"max_bytes": 10 << 20}
    ]
    assert await db.fetchval("SELECT photo_key FROM users WHERE id = $1", ana.id) is None


async def test_a_form_of_many_small_fields_is_capped_as_a_whole(client, users, db, settings):
    settings.max_upload_bytes = 256 * 1024
    ana = await users.create()
    field = b'--B\r\nContent-Disposition: form-data; name="note"\r\n\r\n' + b"n" * 60_000 + b"\r\n"

    async def chunks():  # each field under its own 64 KB cap; together far over the form's
        for _ in range(200):
            yield field
        yield b"--B--\r\n"

    resp = await client.post(
        f"{API}/uploads",
        data=chunks(),
        headers={**ana.headers, "Content-Type": "multipart/form-data; boundary=B"},
    )
    assert resp.status == 413
    assert_error(await resp.json(), "payload_too_large")
    assert await db.fetchval("SELECT count(*) FROM uploads") == 0
