"""HTTP views for modules and resources (and resource files, served to members only)."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel

from server.domain.course_content import (
    COURSE_FILE_TYPES,
    ModuleCreate,
    ModuleRead,
    ModulesRead,
    ModuleUpdate,
    OrderBody,
    ResourceCreate,
    ResourceRead,
    ResourceUpdate,
    course_file_type,
)
from server.handlers.auth_context import mutation_deps, require_user
from server.handlers.errors import ApiError
from server.handlers.forms import read_form
from server.handlers.io import json_response, path_uuid, read_json
from server.handlers.routing import RouteTable
from server.keys import FILE_STORAGE, PG_POOL, SETTINGS
from server.services import course_content as content
from server.services import course_resources as resources

routes = RouteTable(tag="course content", prefix="/api/v1")


class ResourceList(BaseModel):
    items: list[ResourceRead]


@routes.get(
    "/courses/{course_id}/modules",
    summary="Modules in order, with their resources (members)",
    response=ModulesRead,
    errors=(403, 404),
)
async def list_modules(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = path_uuid(request, "course_id", not_found_code="course_not_found")
    return json_response(
        await content.list_modules(
            pool=request.app[PG_POOL], actor_id=user.user_id, course_id=course_id
        )
    )


@routes.post(
    "/courses/{course_id}/modules",
    summary="Add a module",
    body=ModuleCreate,
    response=ModuleRead,
    status=201,
    errors=(403, 404, 409),
)
async def create_module(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = path_uuid(request, "course_id", not_found_code="course_not_found")
    data = await read_json(request, ModuleCreate)
    module = await content.create_module(
        **mutation_deps(request, user), course_id=course_id, data=data
    )
    return json_response(module, status=201)


@routes.patch(
    "/modules/{module_id}",
    summary="Change a module",
    body=ModuleUpdate,
    response=ModuleRead,
    errors=(403, 404, 409),
)
async def update_module(request: web.Request) -> web.Response:
    user = await require_user(request)
    module_id = path_uuid(request, "module_id", not_found_code="module_not_found")
    data = await read_json(request, ModuleUpdate)
    return json_response(
        await content.update_module(**mutation_deps(request, user), module_id=module_id, data=data)
    )


@routes.delete(
    "/modules/{module_id}",
    summary="Delete a module and its resources",
    status=204,
    errors=(403, 404, 409),
)
async def delete_module(request: web.Request) -> web.Response:
    user = await require_user(request)
    module_id = path_uuid(request, "module_id", not_found_code="module_not_found")
    await content.delete_module(
        **mutation_deps(request, user),
        storage=request.app[FILE_STORAGE],
        module_id=module_id,
    )
    return web.Response(status=204)


@routes.put(
    "/courses/{course_id}/modules/order",
    summary="Reorder modules (a permutation)",
    body=OrderBody,
    response=ModulesRead,
    errors=(403, 404, 409),
)
async def reorder_modules(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = path_uuid(request, "course_id", not_found_code="course_not_found")
    data = await read_json(request, OrderBody)
    return json_response(
        await content.reorder_modules(
            **mutation_deps(request, user), course_id=course_id, ids=data.ids
        )
    )


async def _read_upload(request: web.Request) -> tuple[str, bytes, str]:
    """(title, bytes, content type judged by content) from multipart fields `title`, `file`."""
    form = await read_form(request, cap=request.app[SETTINGS].max_upload_bytes)
    title, data, filename = form.texts.get("title", "").strip(), form.data, form.filename or ""
    if data is None:
        raise ApiError(
            422,
            "validation_failed",
            "Send the file in the `file` field.",
            [{"field": "body.file", "message": "Field required"}],
        )
    title = title or filename
    if not title or len(title) > 200:
        raise ApiError(
            422,
            "validation_failed",
            "title must have 1 to 200 characters.",
            [{"field": "body.title", "message": "1 to 200 characters"}],
        )
    return title, data, course_file_type(data)


@routes.post(
    "/modules/{module_id}/resources",
    summary="Add a link or video (JSON), or a document or image (multipart/form-data with "
    "fields title and file)",
    body=ResourceCreate,
    raw_body={"multipart/form-data": "fields `title` and `file` (a document or image)"},
    response=ResourceRead,
    status=201,
    errors=(403, 404, 409, 413),
)
async def add_resource(request: web.Request) -> web.Response:
    user = await require_user(request)
    module_id = path_uuid(request, "module_id", not_found_code="module_not_found")
    link = upload = None
    if request.content_type.startswith("multipart/"):
        upload = await _read_upload(request)
    else:
        link = await read_json(request, ResourceCreate)
    resource = await resources.add_resource(
        **mutation_deps(request, user),
        storage=request.app[FILE_STORAGE],
        module_id=module_id,
        link=link,
        upload=upload,
    )
    return json_response(resource, status=201)


@routes.patch(
    "/resources/{resource_id}",
    summary="Change a resource",
    body=ResourceUpdate,
    response=ResourceRead,
    errors=(403, 404, 409),
)
async def update_resource(request: web.Request) -> web.Response:
    user = await require_user(request)
    resource_id = path_uuid(request, "resource_id", not_found_code="resource_not_found")
    data = await read_json(request, ResourceUpdate)
    return json_response(
        await resources.update_resource(
            **mutation_deps(request, user), resource_id=resource_id, data=data
        )
    )


@routes.delete(
    "/resources/{resource_id}", summary="Delete a resource", status=204, errors=(403, 404, 409)
)
async def delete_resource(request: web.Request) -> web.Response:
    user = await require_user(request)
    resource_id = path_uuid(request, "resource_id", not_found_code="resource_not_found")
    await resources.delete_resource(
        **mutation_deps(request, user),
        storage=request.app[FILE_STORAGE],
        resource_id=resource_id,
    )
    return web.Response(status=204)


@routes.put(
    "/modules/{module_id}/resources/order",
    summary="Reorder a module's resources",
    body=OrderBody,
    response=ResourceList,
    errors=(403, 404, 409),
)
async def reorder_resources(request: web.Request) -> web.Response:
    user = await require_user(request)
    module_id = path_uuid(request, "module_id", not_found_code="module_not_found")
    data = await read_json(request, OrderBody)
    items = await resources.reorder_resources(
        **mutation_deps(request, user), module_id=module_id, ids=data.ids
    )
    return json_response(ResourceList(items=items))


@routes.get(
    "/resources/{resource_id}/file",
    summary="Download a resource's file (members)",
    raw_response=tuple(sorted(COURSE_FILE_TYPES)),  # served as the type its bytes proved
    errors=(403, 404),
)
async def resource_file(request: web.Request) -> web.Response:
    user = await require_user(request)
    resource_id = path_uuid(request, "resource_id", not_found_code="resource_not_found")
    data, content_type, title = await resources.resource_file(
        pool=request.app[PG_POOL],
        storage=request.app[FILE_STORAGE],
        actor_id=user.user_id,
        resource_id=resource_id,
    )
    return web.Response(
        body=data,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(title)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
