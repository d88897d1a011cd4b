"""Resources of a module: links, videos and files (bucket course-files), members read them."""

from __future__ import annotations

import uuid
from typing import Any

from server.domain import course_access as access
from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.course_content import (
    ResourceCreate,
    ResourceRead,
    ResourceUpdate,
    check_permutation,
)
from server.domain.errors import InvalidInput, NotFound
from server.pg_pool import Pool
from server.services.course_content import (
    RESOURCES,
    module_or_404,
    record_change,
    require_editor,
    resource_or_404,
    resource_read,
)
from server.services.course_context import course_and_membership
from server.services.unit_of_work import unit_of_work
from server.stores import course_content as store
from server.stores.files import COURSE_FILES, FileStorage


async def add_resource(
    *,
    pool: Pool,
    clock: Clock,
    storage: FileStorage,
    context: RequestContext,
    module_id: uuid.UUID,
    link: ResourceCreate | None = None,
    upload: tuple[str, bytes, str] | None = None,
) -> ResourceRead:
    """A link/video (`link`), or a file (`upload` = (title, bytes, sniffed content type))."""
    resource_id = uuid.uuid4()
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        course_id = (await module_or_404(conn, module_id))["course_id"]
        m = await require_editor(conn, course_id, context.actor_id)
        await store.lock_module(conn, module_id)
        fields: dict[str, Any] = {
            "url": None,
            "file_key": None,
            "content_type": None,
            "size_bytes": None,
        }
        if link is not None:
            fields.update(kind=link.kind.value, title=link.title, url=str(link.url))
        else:
            title, data, content_type = upload  # type: ignore[misc]
            key = f"{course_id}/{resource_id}"
            fields.update(
                kind="file",
                title=title,
                file_key=key,
                content_type=content_type,
                size_bytes=len(data),
            )
            await storage.put(COURSE_FILES, key, data, content_type)
        try:
            await store.insert_resource(
                conn,
                resource_id=resource_id,
                module_id=module_id,
                course_id=course_id,
                now=now,
                **fields,
            )
            await record_change(
                uow,
                m,
                "resource.changed",
                course_id=course_id,
                module_id=module_id,
                resource_id=resource_id,
                change="created",
            )
            uow.audit(
                "resource.create",
                target=("resource", resource_id),
                changes=changes_between(
                    None,
                    {"module_id": module_id, **fields},
                    fields=("module_id", "kind", "title", "url", "content_type", "size_bytes"),
                ),
            )
        except BaseException:
            if fields["file_key"]:
                await storage.delete(COURSE_FILES, fields["file_key"])
            raise
        return resource_read(await resource_or_404(conn, resource_id))


async def update_resource(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    resource_id: uuid.UUID,
    data: ResourceUpdate,
) -> ResourceRead:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        resource = await resource_or_404(conn, resource_id)
        m = await require_editor(conn, resource["course_id"], context.actor_id)
        changes = data.model_dump(exclude_unset=True)
        if "url" in changes:
            if resource["kind"] == "file":
                raise InvalidInput("A file resource has no url.", code="invalid_resource")
            changes["url"] = str(changes["url"])
        await store.update_row(conn, RESOURCES, resource_id, changes, now)
        await record_change(
            uow,
            m,
            "resource.changed",
            course_id=resource["course_id"],
            module_id=resource["module_id"],
            resource_id=resource_id,
            change="updated",
        )
        uow.audit(
            "resource.update",
            target=("resource", resource_id),
            changes=changes_between(resource, changes),
        )
        return resource_read(await resource_or_404(conn, resource_id))


async def delete_resource(
    *,
    pool: Pool,
    clock: Clock,
    storage: FileStorage,
    context: RequestContext,
    resource_id: uuid.UUID,
) -> None:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn = uow.conn
        resource = await resource_or_404(conn, resource_id)
        m = await require_editor(conn, resource["course_id"], context.actor_id)
        await store.delete_row(conn, RESOURCES, resource_id)
        await record_change(
            uow,
            m,
            "resource.changed",
            course_id=resource["course_id"],
            module_id=resource["module_id"],
            resource_id=resource_id,
            change="deleted",
        )
        uow.audit(
            "resource.delete",
            target=("resource", resource_id),
            changes={"title": [resource["title"], None]},
        )
    if resource["file_key"]:
        await storage.delete(COURSE_FILES, resource["file_key"])


async def reorder_resources(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    module_id: uuid.UUID,
    ids: list[uuid.UUID],
) -> list[ResourceRead]:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn = uow.conn
        course_id = (await module_or_404(conn, module_id))["course_id"]
        m = await require_editor(conn, course_id, context.actor_id)
        current = [
            r["id"]
            for r in await store.resources_of_course(conn, course_id)
            if r["module_id"] == module_id
        ]
        check_permutation(current, ids, "resources")
        await store.reorder(conn, RESOURCES, "module_id", module_id, ids)
        await record_change(
            uow,
            m,
            "resource.changed",
            course_id=course_id,
            module_id=module_id,
            change="reordered",
            ids=[str(i) for i in ids],
        )
        uow.audit(
            "module.reorder_resources",
            target=("module", module_id),
            changes=changes_between({"resource_order": current}, {"resource_order": ids}),
        )
        rows = await store.resources_of_course(conn, course_id)
    return [resource_read(r) for r in rows if r["module_id"] == module_id]


async def resource_file(
    *, pool: Pool, storage: FileStorage, actor_id: uuid.UUID, resource_id: uuid.UUID
) -> tuple[bytes, str, str]:
    """(bytes, content type, title) of a file resource, for members only."""
    async with pool.acquire() as conn:
        resource = await resource_or_404(conn, resource_id)
        _, m = await course_and_membership(conn, resource["course_id"], actor_id)
        access.require(access.can_read_content, m, "read the files")
    if resource["file_key"] is None:
        raise NotFound("This resource is not a file.", code="resource_not_found")
    found = await storage.get(COURSE_FILES, resource["file_key"])
    if found is None:
        raise NotFound("The file is missing.", code="file_not_found")
    return found[0], found[1], resource["title"]
