"""Files kept by LocalFileStorage, served back by this server (public buckets only).

Private buckets (course files, submissions) are never served here: their features read them
through the storage interface after checking who asks.
"""

from __future__ import annotations

from aiohttp import web

from server.domain.errors import NotFound
from server.handlers.routing import RouteTable
from server.keys import FILE_STORAGE
from server.services.files import read_public_file
from server.stores.file_backends import LocalFileStorage

routes = RouteTable(tag="files")


@routes.get(
    "/files/local/{bucket}/{key:.+}",
    summary="A publicly readable file (profile picture) kept on local disk",
    auth=False,
    raw_response=("image/jpeg", "image/png", "image/webp"),
    errors=(404,),
)
async def get_local_file(request: web.Request) -> web.StreamResponse:
    storage = request.app[FILE_STORAGE]
    if not isinstance(storage, LocalFileStorage):
        # With Supabase, public URLs point at Supabase; this path names nothing.
        raise NotFound("No such file.", code="file_not_found")
    data, content_type = await read_public_file(
        storage=storage, bucket=request.match_info["bucket"], key=request.match_info["key"]
    )
    return web.Response(
        body=data,
        headers={
            "Content-Type": content_type,
            # Keys are never reused for new content (callers store under fresh ids), so a short
            # public cache is safe; nosniff keeps browsers from reinterpreting the bytes.
            "Cache-Control": "public, max-age=3600",
            "X-Content-Type-Options": "nosniff",
        },
    )
