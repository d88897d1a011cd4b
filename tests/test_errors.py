"""The one error model, through HTTP on the real app: status, code, shape, and nothing written."""

from __future__ import annotations

import io
import logging

import asyncpg
import pytest
from aiohttp import web
from pydantic import BaseModel, Field

from server.handlers.io import json_response, read_json
from server.keys import PG_POOL


class Note(BaseModel):
    text: str = Field(min_length=1, max_length=50)
    stars: int = Field(ge=1, le=5)


async def create_note(request: web.Request) -> web.Response:
    note = await read_json(request, Note)
    async with request.app[PG_POOL].acquire() as conn:
        await conn.execute(
            "INSERT INTO probe_notes (text, stars) VALUES ($1, $2)", note.text, note.stars
        )
    return json_response(note, status=201)


async def explode(request: web.Request) -> web.Response:
    raise RuntimeError("secret internals: password=hunter2")


@pytest.fixture
async def probe_table(db: asyncpg.Connection):
    await db.execute("CREATE TABLE IF NOT EXISTS probe_notes (text text, stars int)")
    await db.execute("TRUNCATE probe_notes")
    yield
    await db.execute("DROP TABLE probe_notes")


@pytest.fixture
def app(app: web.Application) -> web.Application:
    # A writing route that goes through the same parsing helpers as every real handler.
    app.router.add_post("/probe/notes", create_note)
    app.router.add_get("/probe/explode", explode)
    return app


async def notes_written(db: asyncpg.Connection) -> int:
    return await db.fetchval("SELECT count(*) FROM probe_notes")


def assert_error(body: dict, code: str) -> None:
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], list)


async def test_valid_body_is_written(client, db, probe_table):
    resp = await client.post("/probe/notes", json={"text": "hi", "stars": 3})
    assert resp.status == 201
    assert await notes_written(db) == 1


async def test_validation_error_names_field_paths(client, db, probe_table):
    resp = await client.post("/probe/notes", json={"text": "", "stars": 9})
    assert resp.status == 422
    body = await resp.json()
    assert_error(body, "validation_failed")
    fields = {d["field"] for d in body["error"]["details"]}
    assert fields == {"body.text", "body.stars"}
    assert await notes_written(db) == 0


async def test_malformed_json(client, db, probe_table):
    resp = await client.post(
        "/probe/notes", data=b'{"text": "hi", ', headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    assert_error(await resp.json(), "malformed_json")
    assert await notes_written(db) == 0


async def test_wrong_content_type(client, db, probe_table):
    resp = await client.post(
        "/probe/notes",
        data="text=hi&stars=3",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status == 415
    assert_error(await resp.json(), "unsupported_media_type")
    assert await notes_written(db) == 0


async def test_body_over_cap(client, db, probe_table, settings):
    big = b'{"text": "' + b"a" * (settings.max_body_bytes + 10) + b'", "stars": 3}'
    resp = await client.post(
        "/probe/notes", data=io.BytesIO(big), headers={"Content-Type": "application/json"}
    )
    assert resp.status == 413
    assert_error(await resp.json(), "payload_too_large")
    assert await notes_written(db) == 0


async def test_chunked_body_past_the_hard_cap_is_refused_in_the_same_shape(client, settings):
    async def chunks():  # no Content-Length: aiohttp's own client_max_size check fires
        for _ in range(settings.max_upload_bytes // (1 << 20) + 2):
            yield b"x" * (1 << 20)

    resp = await client.post(
        "/probe/notes", data=chunks(), headers={"Content-Type": "application/json"}
    )
    assert resp.status == 413
    assert_error(await resp.json(), "payload_too_large")


async def test_unknown_route(client):
    resp = await client.get("/no/such/thing")
    assert resp.status == 404
    assert resp.content_type == "application/json"
    assert_error(await resp.json(), "not_found")


async def test_wrong_method(client, db, probe_table):
    resp = await client.delete("/probe/notes")
    assert resp.status == 405
    assert "POST" in resp.headers["Allow"]
    assert_error(await resp.json(), "method_not_allowed")


async def test_unexpected_exception_gives_500_with_logged_error_id(client, caplog):
    with caplog.at_level(logging.ERROR, logger="classconnect.errors"):
        resp = await client.get("/probe/explode")
    assert resp.status == 500
    body = await resp.json()
    assert_error(body, "internal_error")
    error_id = body["error"]["details"][0]["error_id"]
    assert "hunter2" not in await resp.text() and "Traceback" not in await resp.text()
    logged = [r for r in caplog.records if getattr(r, "error_id", None) == error_id]
    assert logged and logged[0].exc_info is not None
