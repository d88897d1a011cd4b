"""Hostile input over HTTP: each attack walked over every route it can reach, none succeeding,
none leaving a partial write (Postgres and Mongo counted before and after).

Covered elsewhere, not repeated: NUL, tampered cursors, extreme dates, broken multipart
(`test_crafted_input.py`); traversal in `/files/local/` paths and storage keys
(`test_local_files.py`, `test_file_storage.py`); bytes judged by content, never by the claimed
type (`test_assignment_files.py`, `test_users.py`); `alg: none`, a wrong key, tampering,
expiry, claims we never issue (`unit/test_tokens.py`), the realms kept apart
(`test_admin_realms.py`); a reused refresh token revoking its family and ending the sockets
(`test_accounts_sessions.py`, `realtime/test_session_end.py`); JSON nested 30,000 deep, floods
and the rest on Socket.IO (`realtime/test_hardening.py`, `realtime/test_hostile_sockets.py`)."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from urllib.parse import quote

import jwt
import pytest

from server.keys import CLOCK, JWT_SECRET
from tests.admin_helpers import ADMIN_API
from tests.assignment_helpers import PDF, upload
from tests.course_helpers import API
from tests.route_walk import concrete, endpoints, params
from tests.unit.test_file_types import docx_with
from tests.walk_helpers import assert_error_shape, schema_fields, send, stored

JSON = {"Content-Type": "application/json"}
DEEP = ["[" * 10_000 + "]" * 10_000, '{"a":' * 10_000 + "1" + "}" * 10_000]
OPERATORS = [{"$ne": None}, {"$where": "sleep(1000) || true"}, {"$gt": ""}, [{"$ne": None}]]
META = ["' OR '1'='1", "'; DROP TABLE users; --", "%", "_", "\\", "$1", '") OR 1=1 --',
        "x' UNION SELECT email FROM users --", "*", "(a+)+$", ".*"]  # fmt: skip


def bodied(app) -> list:
    return [ep for ep in endpoints(app) if ep.body is not None]


async def test_json_nested_10000_deep_is_refused_everywhere(client, app, world, db, mongo):
    before = await stored(db, mongo)
    for ep in bodied(app):
        for deep in DEEP:
            resp = await client.request(
                ep.method, concrete(ep.path, **world.ids), data=deep,
                headers={**world.headers_for(ep.path), **JSON},
            )  # fmt: skip
            error = assert_error_shape(await resp.json())
            assert (resp.status, error["code"]) == (400, "malformed_json"), ep.path
    assert await stored(db, mongo) == before


async def test_a_50_mb_body_is_refused_whatever_the_route(client, world, db, mongo):
    before = await stored(db, mongo)
    huge = b"x" * (50 << 20)
    c = world.c
    targets = [
        ("POST", f"{API}/courses", JSON),
        ("POST", f"{API}/uploads", {"Content-Type": "multipart/form-data; boundary=B"}),
        ("PUT", f"{API}/users/me/photo", {"Content-Type": "image/png"}),
        ("POST", f"{API}/assignments/{world.ids['assignment_id']}/publish", {}),
        ("POST", f"{ADMIN_API}/rules", JSON),
        ("POST", f"{API}/no/such/route", JSON),
        ("POST", "/socket.io/?EIO=4&transport=polling", {"Content-Type": "text/plain"}),
    ]
    for method, path, headers in targets:
        resp = await client.request(
            method, path, data=io.BytesIO(huge), headers={**world.headers_for(path), **headers}
        )
        assert resp.status == 413, (path, resp.status)
        assert assert_error_shape(await resp.json())["code"] == "payload_too_large"

    async def streamed():  # no Content-Length: cut off once past the upload cap
        yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
        for _ in range(50):
            yield PDF + b"x" * (1 << 20)

    resp = await client.post(
        f"{API}/uploads", data=streamed(),
        headers={**c.student.headers, "Content-Type": "multipart/form-data; boundary=B"},
    )  # fmt: skip
    assert resp.status == 413
    assert await stored(db, mongo) == before


async def test_lone_surrogates_in_any_text_field_are_refused(client, app, world, db, mongo):
    before = await stored(db, mongo)
    checked = 0
    for ep in bodied(app):
        for field in schema_fields(ep.body, ("string",)):
            for value in ("a\ud800b", "\udfff"):
                resp = await send(client, world, ep, "body", {field: value})
                error = assert_error_shape(await resp.json())
                assert (resp.status, error["code"]) == (422, "invalid_unicode"), (ep.path, field)
                assert error["details"] == [{"field": f"body.{field}"}]
                checked += 1
    # In a list, in a key, nested: found wherever it is.
    ep = next(ep for ep in bodied(app) if ep.body.__name__ == "CourseCreate")
    for body, field in (({"objectives": ["ok", "b\ud83d"]}, "body.objectives.1"),
                        ({"eligibility": {"\udc00": 1}}, "body.eligibility.\\udc00")):  # fmt: skip
        resp = await send(client, world, ep, "body", body)
        assert assert_error_shape(await resp.json())["details"] == [{"field": field}]
    assert checked >= 40
    assert await stored(db, mongo) == before


async def test_mongo_operators_in_any_field_are_refused(client, app, world, db, mongo):
    """Every field of every body (those reaching Mongo among them: admin accounts, rules,
    notifications, preferences, logins) is typed, so an operator object is never a value."""
    before = await stored(db, mongo)
    checked = 0
    for ep in bodied(app):
        for field in ep.body.model_fields:
            name = ep.body.model_fields[field].alias or field
            for operator in OPERATORS:
                resp = await send(client, world, ep, "body", {name: operator})
                error = assert_error_shape(await resp.json())
                assert resp.status == 422, (ep.path, name, operator, resp.status)
                fields = [d.get("field", "") for d in error["details"]]
                assert any(f.startswith(f"body.{name}") for f in fields), (ep.path, name, error)
                checked += 1
    assert checked >= 300
    assert await stored(db, mongo) == before


async def test_operators_in_queries_and_paths_match_nothing(client, app, world, db, mongo):
    before = await stored(db, mongo)
    for ep in endpoints(app):
        if ep.query is not None:
            for field in ep.query.model_fields:
                for value in ('{"$ne": null}', "$ne", "$where"):
                    resp = await send(client, world, ep, "query", {field: value})
                    assert resp.status < 500, (ep.path, field)
                    if resp.status == 200 and resp.content_type == "application/json":
                        assert (await resp.json()).get("items", []) == [], (ep.path, field)
        for name in params(ep):
            odd = {p: quote('{"$ne": null}', safe="") for p in [name]}
            resp = await client.request(
                ep.method, concrete(ep.path, **{**world.ids, **odd}),
                headers=world.headers_for(ep.path),
            )  # fmt: skip
            assert resp.status in (400, 401, 404, 405, 415, 422), (ep.path, name, resp.status)
    assert await stored(db, mongo) == before


async def test_sql_metacharacters_are_text_in_every_field_and_filter(client, app, world, db):
    users_before = await db.fetchval("SELECT count(*) FROM users")
    for where in ("query", "body"):  # filters first: the bodies then store the texts
        for ep in endpoints(app):
            model = ep.query if where == "query" else ep.body
            for field in schema_fields(model, ("string",)) if model else {}:
                for value in META:
                    resp = await send(client, world, ep, where, {field: value})
                    assert resp.status < 500, (ep.method, ep.path, field, value)
                    if where == "query" and field == "q" and resp.status == 200:
                        # A filter matches the text itself, never more (no name has it).
                        assert (await resp.json())["items"] == [], (ep.path, value)
    assert await db.fetchval("SELECT count(*) FROM users") == users_before
    for value in META:  # and stored as written
        headers = world.c.owner.headers
        url = f"{API}/courses/{world.ids['course_id']}"
        resp = await client.patch(url, json={"description": value}, headers=headers)
        assert resp.status == 200, await resp.text()
        assert (await (await client.get(url, headers=headers)).json())["description"] == value


TRAVERSALS = ["../../../../etc/passwd.pdf", "..\\..\\..\\boot.ini.pdf", "/etc/shadow.pdf",
              "....//....//x.pdf", "%2e%2e%2fx.pdf"]  # fmt: skip


async def test_path_traversal_in_file_names_names_nothing_but_the_file(client, world, settings):
    root = settings.data_dir.resolve()
    for name in TRAVERSALS:  # as a browser sends it: the name as it is, quotes escaped
        head = f'Content-Disposition: form-data; name="file"; filename="{name}"'
        body = f"--B\r\n{head}\r\n\r\n".encode() + PDF + b"\r\n--B--\r\n"
        resp = await client.post(
            f"{API}/uploads", data=body,
            headers={**world.c.student.headers, "Content-Type": "multipart/form-data; boundary=B"},
        )  # fmt: skip
        assert resp.status == 201, await resp.text()
        stored_as = (await resp.json())["filename"]
        assert "/" not in stored_as and "\\" not in stored_as and not stored_as.startswith(".")
        file_id = (await resp.json())["file_id"]
        got = await client.get(f"{API}/files/{file_id}", headers=world.c.student.headers)
        assert got.status == 200 and await got.read() == PDF
        disposition = got.headers["Content-Disposition"]
        assert "/" not in disposition and "%" not in disposition, disposition
    outside = [p for p in root.parent.rglob("*") if p.is_file() and root not in p.parents]
    assert [p for p in outside if p.name in ("passwd.pdf", "shadow.pdf", "boot.ini.pdf")] == []


async def test_bytes_that_are_not_their_claimed_type_are_refused(client, world, db):
    before = await db.fetchval("SELECT count(*) FROM uploads")
    photo = world.c.student.headers
    for data, claimed in [
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/png"),
        (b"<html><script>alert(1)</script></html>", "image/jpeg"),
    ]:
        resp = await client.put(
            f"{API}/users/me/photo", data=data, headers={**photo, "Content-Type": claimed}
        )
        assert resp.status == 422, await resp.text()
    for data in (b"MZ\x90\x00\x03" + b"\x00" * 60, b"\x7fELF\x02\x01\x01" + b"\x00" * 60):
        resp = await upload(client, world.c.student, data, "essay.pdf", "application/pdf")
        assert resp.status == 422
        assert assert_error_shape(await resp.json())["code"] == "unsupported_file_type"
    assert await db.fetchval("SELECT count(*) FROM uploads") == before


async def test_a_docx_zip_bomb_is_refused_and_nothing_is_stored(client, world, db, settings):
    bomb = docx_with({"word/document.xml": 300 << 20})
    files = sorted(p for p in (settings.data_dir / "files").rglob("*") if p.is_file())
    before = await db.fetchval("SELECT count(*) FROM uploads")
    resp = await upload(client, world.c.student, bomb, "essay.docx", "application/msword")
    assert resp.status == 422
    assert assert_error_shape(await resp.json())["code"] == "unsupported_file_type"
    assert await db.fetchval("SELECT count(*) FROM uploads") == before
    assert sorted(p for p in (settings.data_dir / "files").rglob("*") if p.is_file()) == files


def forged_tokens(app, user_id: uuid.UUID) -> dict[str, str]:
    now = app[CLOCK].now()
    iat, exp = int(now.timestamp()), int((now + timedelta(minutes=5)).timestamp())
    claims = {
        "sub": str(user_id),
        "ver": 0,
        "typ": "access",
        "realm": "user",
        "iat": iat,
        "exp": exp,
    }
    key = app[JWT_SECRET]

    def sign(secret: str = key, **changes) -> str:
        return jwt.encode({**claims, **changes}, secret, algorithm="HS256")

    return {
        "alg none": jwt.encode(claims, key=None, algorithm="none"),
        "wrong key": sign("another-secret-" + "y" * 40),
        "another audience": sign(aud="https://other.example"),
        "future iat": sign(iat=int((now + timedelta(hours=2)).timestamp())),
        "expired": sign(exp=int((now - timedelta(seconds=1)).timestamp())),
        "admin realm": sign(realm="admin"),
    }


@pytest.mark.parametrize(
    "kind", ["alg none", "wrong key", "another audience", "future iat", "expired", "admin realm"]
)
async def test_forged_tokens_are_refused_over_http(client, app, users, admins, kind):
    ana = await users.create()
    token = forged_tokens(app, ana.id)[kind]
    resp = await client.get(f"{API}/users/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 401, kind
    code = assert_error_shape(await resp.json())["code"]
    assert code == ("token_expired" if kind == "expired" else "token_invalid"), (kind, code)
    resp = await client.get(f"{ADMIN_API}/users", headers={"Authorization": f"Bearer {token}"})
    assert resp.status in (401, 403), kind
    assert (await client.get(f"{API}/users/me", headers=ana.headers)).status == 200
