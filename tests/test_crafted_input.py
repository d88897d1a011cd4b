"""Crafted but well-formed input is refused with a 4xx in the one error shape, and writes
nothing: tampered cursors on every paged route, dates outside the accepted range in every body
and query that takes one, NUL in any text field, long or NUL path segments under /files/local/,
and broken multipart bodies. Each walks the route table, so a new route is covered too."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from tests.assignment_helpers import (
    PDF,
    assignment_body,
    create_assignment,
)
from tests.course_helpers import API, course_body
from tests.route_walk import concrete, endpoints
from tests.walk_helpers import assert_error_shape, schema_fields, send, written

EXTREMES = {
    "date-time": ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1899-12-31T23:00:00Z"],
    "date": ["0001-01-01", "9999-12-31", "2201-01-01"],
}
# A valid body for each model that takes a date, so only the date can be what is refused.
BASES: dict[str, dict[str, Any]] = {
    "CourseCreate": course_body(),
    "CourseUpdate": {},
    "AssignmentCreate": assignment_body(),
    "AssignmentUpdate": {},
    "BlockRequest": {"reason": "spam"},
    "RuleCreate": {"title": "Conduct", "description": "Be kind."},
    "RuleUpdate": {},
}


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


U = str(uuid.uuid4())
NESTED = "[" * 3000 + "]" * 3000
# Invalid whatever keys the route pages by: 422 invalid_cursor everywhere.
TAMPERED = [
    "not base64!!",
    b64(b"\xff\xfe not json"),
    b64({"at": "2026-01-01", "id": U}),
    b64([]),
    b64([[[[1]]]]),
    b64(NESTED.encode()),
    b64([None, None]),
    b64([1.5, 2.5]),
    b64([True, False]),
    b64([{"$gt": ""}, U]),
    b64([2**70]),
    b64([2**70, U]),
    b64(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
    b64(["a\u0000b", U]),
    b64(list(range(50))),
    "A" * 5000,
]
# Valid for some routes' keys: whatever they answer, never a 5xx.
EDGES = [
    "",
    b64(["0001-01-01T00:00:00+14:00", U]),
    b64(["9999-12-31T23:59:59-14:00", U]),
    b64(["0001-01-01", U]),
    b64(["x" * 300, U]),
    b64([2**63 - 1]),
    b64([-(2**63)]),
    b64([0]),
]


async def test_tampered_cursors_on_every_paged_route(client, app, world, db):
    paged = [ep for ep in endpoints(app) if ep.query and "cursor" in ep.query.model_fields]
    assert len(paged) >= 8
    before = await written(db)
    for ep in paged:
        url = concrete(ep.path, **world.ids)
        params = {"q": "a"} if "q" in ep.query.model_fields else {}
        for cursor in TAMPERED + EDGES:
            resp = await client.get(
                url, params={**params, "cursor": cursor}, headers=world.headers_for(ep.path)
            )
            where = (ep.path, cursor[:40])
            assert resp.status < 500, where
            if cursor in TAMPERED:
                assert resp.status == 422, where
                error = assert_error_shape(await resp.json())
                # An over-long cursor may already fail the query model's length limit.
                fields = {d.get("field") for d in error["details"]}
                refused = error["code"] == "invalid_cursor" or fields == {"query.cursor"}
                assert refused, (where, error)
    assert await written(db) == before


async def test_dates_out_of_range_in_every_body_and_query(client, app, world, db):
    checked = 0
    before = await written(db)
    for ep in endpoints(app):
        for where, model in (("body", ep.body), ("query", ep.query)):
            fields = schema_fields(model, ("date", "date-time")) if model else {}
            if not fields:
                continue
            base = BASES[model.__name__] if where == "body" else {}
            for field, kind in fields.items():
                for value in EXTREMES[kind]:
                    resp = await send(client, world, ep, where, {**base, field: value})
                    error = assert_error_shape(await resp.json())
                    assert resp.status == 422, (ep.path, field, value, error)
                    [detail] = [d for d in error["details"] if d["field"] == f"{where}.{field}"]
                    assert detail["type"] in ("datetime_out_of_range", "date_out_of_range")
                    checked += 1
    assert checked >= 30
    assert await written(db) == before


async def test_nul_in_any_text_field_is_refused(client, app, world, db):
    checked = 0
    before = await written(db)
    for ep in endpoints(app):
        for where, model in (("body", ep.body), ("query", ep.query)):
            for field in schema_fields(model, ("string",)) if model else {}:
                resp = await send(client, world, ep, where, {field: "a\u0000b"})
                error = assert_error_shape(await resp.json())
                assert (resp.status, error["code"]) == (422, "nul_character"), (ep.path, field)
                assert error["details"] == [{"field": f"{where}.{field}"}]
                checked += 1
    assert checked >= 20
    assert await written(db) == before


def form(parts: list[tuple[str, bytes]], boundary: str = "XyZ") -> bytes:
    out = b""
    for headers, content in parts:
        out += f"--{boundary}\r\n".encode() + headers.encode("latin-1") + b"\r\n\r\n"
        out += content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


FILE_HEADERS = 'Content-Disposition: form-data; name="file"; filename="x.pdf"\r\n'
GOOD = form([(FILE_HEADERS + "Content-Type: application/pdf", PDF)])
BROKEN_FORMS = {
    "empty": b"",
    "truncated": GOOD[: len(GOOD) // 2],
    "no closing boundary": GOOD[: -len(b"--XyZ--\r\n")],
    "control character in a header": form(
        [(FILE_HEADERS + "Content-Type: application/pdf\x01\x7f", PDF)]
    ),
    "control character in the file name": form(
        [('Content-Disposition: form-data; name="file"; filename="a\x00\x1b.pdf"', PDF)]
    ),
    "header without a colon": form([("Content-Disposition form-data", PDF)]),
    "NUL in a text field": form(
        [('Content-Disposition: form-data; name="title"', b"a\x00b"), (FILE_HEADERS, PDF)]
    ),
}


@pytest.mark.parametrize("case", list(BROKEN_FORMS))
async def test_broken_multipart_bodies(client, app, world, db, case):
    forms = [ep for ep in endpoints(app) if "multipart/form-data" in (ep.raw_body or {})]
    assert len(forms) >= 2
    before = await written(db)
    for ep in forms:
        resp = await client.post(
            concrete(ep.path, **world.ids),
            data=BROKEN_FORMS[case],
            headers={
                **world.headers_for(ep.path),
                "Content-Type": "multipart/form-data; boundary=XyZ",
            },
        )
        error = assert_error_shape(await resp.json())
        assert resp.status in (400, 422), (ep.path, resp.status, error)
    assert await written(db) == before


@pytest.mark.parametrize("key", ["a" * 256, "a/" + "b" * 300, "x%00y.png", "%2e%2e/secret"])
async def test_odd_local_file_paths_are_not_found(client, settings, key):
    # The bucket exists once anyone has a photo; only then does the disk see the long name.
    (settings.data_dir / "files" / "profiles" / "a").mkdir(parents=True)
    resp = await client.get(f"/files/local/profiles/{key}")
    assert resp.status == 404
    assert assert_error_shape(await resp.json())["code"] in ("file_not_found", "not_found")


async def test_an_assignment_stored_with_a_date_now_out_of_range_can_be_fixed(client, world, db):
    """Rows written before the range was decided: a change names the date to fix instead of
    failing, and publishing works (the 24 h reminder of year 1 no longer overflows)."""
    headers = world.c.owner.headers
    for due in ("0001-01-01T12:00:00Z", "1000-01-01T12:00:00Z"):
        a = (await create_assignment(client, world.c.owner, world.c.course_id))["id"]
        await db.execute(
            "UPDATE assignments SET due_at = $2::text::timestamptz WHERE id = $1", uuid.UUID(a), due
        )
        resp = await client.patch(
            f"{API}/assignments/{a}", json={"title": "Renamed"}, headers=headers
        )
        error = assert_error_shape(await resp.json())
        assert resp.status == 422 and [d["field"] for d in error["details"]] == ["due_at"]
        resp = await client.post(f"{API}/assignments/{a}/publish", headers=headers)
        assert resp.status == 200, await resp.text()
    fixed = {"title": "Renamed", "due_at": "2026-02-01T12:00:00Z"}
    resp = await client.patch(f"{API}/assignments/{a}", json=fixed, headers=headers)
    assert resp.status == 200, await resp.text()
