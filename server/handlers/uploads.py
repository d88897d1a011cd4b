"""HTTP views for uploads (multipart) and reading files back."""

from __future__ import annotations

from aiohttp import web

from server.domain.submission_views import UploadRead
from server.handlers.auth_context import mutation_deps, require_user
from server.handlers.forms import bad_form, read_form
from server.handlers.io import json_response, path_uuid
from server.handlers.routing import RouteTable
from server.keys import FILE_STORAGE, PG_POOL, SETTINGS
from server.services import uploads

routes = RouteTable(tag="files", prefix="/api/v1")


async def _read_file_part(request: web.Request, cap: int) -> tuple[str, bytes]:
    """The `file` part's name and bytes."""
    form = await read_form(request, cap=cap)
    if form.data is None:
        raise bad_form("Send the file in a form field named `file`.")
    return form.filename or "file", form.data


@routes.post(
    "/uploads",
    summary="Upload a file (pdf, docx, txt, png, jpeg; at most 25 MB) for a submission or an "
    "assignment",
    response=UploadRead,
    status=201,
    raw_body={"multipart/form-data": "one part named `file`"},
    errors=(400, 413, 415, 422),
)
async def upload(request: web.Request) -> web.Response:
    user = await require_user(request)
    filename, data = await _read_file_part(request, request.app[SETTINGS].max_upload_bytes)
    stored = await uploads.upload(
        **mutation_deps(request, user),
        storage=request.app[FILE_STORAGE],
        filename=filename,
        data=data,
    )
    return json_response(stored, status=201)


@routes.get(
    "/files/{file_id}",
    summary="A file, to its uploader and the staff of the course it belongs to",
    raw_response=tuple(sorted(uploads.ACCEPTED)),  # served as the type its bytes proved
    errors=(404,),
)
async def get_file(request: web.Request) -> web.Response:
    user = await require_user(request)
    file_id = path_uuid(request, "file_id", not_found_code="file_not_found")
    found = await uploads.read_file(
        pool=request.app[PG_POOL],
        storage=request.app[FILE_STORAGE],
        actor_id=user.user_id,
        file_id=file_id,
    )
    # Header values must stay printable ASCII whatever the uploader named the file, and name
    # no path, not even percent-encoded (some browsers decode `%2F` in `filename`).
    safe_name = "".join(c for c in found.filename if 32 <= ord(c) < 127 and c not in '"\\/%')
    return web.Response(
        body=found.data,
        content_type=found.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{safe_name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
