"""A Supabase Storage stand-in on 127.0.0.1, speaking the REST paths storage3 uses.

`POST|PUT /storage/v1/object/{bucket}/{path}` (multipart `file`, `x-upsert`),
`GET /storage/v1/object/{bucket}/{path}`, `GET /storage/v1/object/info/{bucket}/{path}`,
`DELETE /storage/v1/object/{bucket}` with `{"prefixes": [...]}`, and public reads at
`GET /storage/v1/object/public/{bucket}/{path}`. Errors come as Storage sends them:
`{"statusCode": "404", "error": "not_found", "message": ...}`. Requests need the service key.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

SERVICE_KEY = "test-service-role-key"


@dataclass
class StoredObject:
    data: bytes
    content_type: str
    cache_control: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    updated_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


@dataclass
class FakeSupabaseStorage:
    url: str = ""
    key: str = SERVICE_KEY
    # bucket -> public?
    buckets: dict[str, bool] = field(
        default_factory=lambda: {"profiles": True, "course-files": False, "submissions": False}
    )
    objects: dict[tuple[str, str], StoredObject] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)


def _error(status: int, error: str, message: str) -> web.Response:
    return web.json_response(
        {"statusCode": str(status), "error": error, "message": message}, status=status
    )


def build_app(state: FakeSupabaseStorage) -> web.Application:
    def authorized(request: web.Request) -> bool:
        return (
            request.headers.get("apikey") == state.key
            and request.headers.get("Authorization") == f"Bearer {state.key}"
        )

    @web.middleware
    async def auth(request: web.Request, handler):
        state.requests.append((request.method, request.path))
        if "/object/public/" not in request.path and not authorized(request):
            return _error(403, "Unauthorized", "Invalid Compact JWS")
        return await handler(request)

    def locate(request: web.Request) -> tuple[str, str] | web.Response:
        bucket, path = request.match_info["bucket"], request.match_info["path"]
        if bucket not in state.buckets:
            return _error(404, "Bucket not found", "Bucket not found")
        return bucket, path

    async def upload(request: web.Request) -> web.Response:
        where = locate(request)
        if isinstance(where, web.Response):
            return where
        exists = where in state.objects
        upsert = request.headers.get("x-upsert", "false") == "true"
        if request.method == "POST" and exists and not upsert:
            return _error(409, "Duplicate", "The resource already exists")
        if request.method == "PUT" and not exists:
            return _error(404, "not_found", "Object not found")
        form = await request.post()
        part = form.get("file")
        if not isinstance(part, web.FileField):
            return _error(400, "InvalidRequest", "No file in the request")
        state.objects[where] = StoredObject(
            data=part.file.read(),
            content_type=part.content_type,
            cache_control=str(form.get("cacheControl", "no-cache")),
        )
        key = "/".join(where)
        return web.json_response({"Key": key, "Id": state.objects[where].id})

    def found(request: web.Request) -> StoredObject | web.Response:
        where = locate(request)
        if isinstance(where, web.Response):
            return where
        obj = state.objects.get(where)
        return obj if obj is not None else _error(404, "not_found", "Object not found")

    async def download(request: web.Request) -> web.Response:
        obj = found(request)
        if isinstance(obj, web.Response):
            return obj
        return web.Response(body=obj.data, headers={"Content-Type": obj.content_type})

    async def public(request: web.Request) -> web.Response:
        if not state.buckets.get(request.match_info["bucket"], False):
            return _error(400, "not_found", "Object not found")
        return await download(request)

    async def info(request: web.Request) -> web.Response:
        obj = found(request)
        if isinstance(obj, web.Response):
            return obj
        return web.json_response(
            {
                "id": obj.id,
                "name": request.match_info["path"],
                "bucket_id": request.match_info["bucket"],
                "size": len(obj.data),
                "content_type": obj.content_type,
                "cache_control": obj.cache_control,
                "updated_at": obj.updated_at,
                "metadata": {"mimetype": obj.content_type, "size": len(obj.data)},
            }
        )

    async def remove(request: web.Request) -> web.Response:
        bucket = request.match_info["bucket"]
        if bucket not in state.buckets:
            return _error(404, "Bucket not found", "Bucket not found")
        body = await request.json()
        removed = []
        for prefix in body.get("prefixes", []):
            obj = state.objects.pop((bucket, prefix), None)
            if obj is not None:
                removed.append({"name": prefix, "bucket_id": bucket, "id": obj.id})
        return web.json_response(removed)

    # Supabase's default upload cap (50 MB) rather than aiohttp's 1 MB.
    app = web.Application(middlewares=[auth], client_max_size=50 * 1024 * 1024)
    base = "/storage/v1/object"
    app.router.add_get(base + "/info/{bucket}/{path:.+}", info)
    app.router.add_get(base + "/public/{bucket}/{path:.+}", public)
    app.router.add_post(base + "/{bucket}/{path:.+}", upload)
    app.router.add_put(base + "/{bucket}/{path:.+}", upload)
    app.router.add_get(base + "/{bucket}/{path:.+}", download)
    app.router.add_delete(base + "/{bucket}", remove)
    return app


@pytest.fixture
async def supabase_storage() -> AsyncIterator[FakeSupabaseStorage]:
    state = FakeSupabaseStorage()
    server = TestServer(build_app(state), host="127.0.0.1")
    await server.start_server()
    state.url = str(server.make_url("")).rstrip("/")
    yield state
    await server.close()
