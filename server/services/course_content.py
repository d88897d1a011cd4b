"""Modules and resources: only members read them; editing needs the edit_content rule."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from server.domain import course_access as access
from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.course_access import Membership
from server.domain.course_content import (
    ModuleCreate,
    ModuleRead,
    ModulesRead,
    ModuleUpdate,
    ResourceRead,
    check_permutation,
)
from server.domain.errors import NotFound
from server.domain.events import course_stream, event
from server.pg_pool import Pool
from server.services.course_context import course_and_membership, log_if_assistant
from server.services.unit_of_work import UnitOfWork, unit_of_work
from server.stores import course_content as store
from server.stores.files import COURSE_FILES, FileStorage

MODULES, RESOURCES = "course_modules", "course_resources"


def resource_read(r: asyncpg.Record) -> ResourceRead:
    file = None
    if r["kind"] == "file":
        file = {
            "content_type": r["content_type"],
            "size_bytes": r["size_bytes"],
            "download_path": f"/api/v1/resources/{r['id']}/file",
        }
    return ResourceRead(**{**dict(r), "file": file})


def module_read(r: asyncpg.Record, resources: list[ResourceRead] | None = None) -> ModuleRead:
    return ModuleRead(**dict(r), resources=resources or [])


async def require_editor(
    conn: asyncpg.Connection, course_id: uuid.UUID, actor_id: uuid.UUID
) -> Membership | None:
    """Lock the course (serialises positions and reorders) and apply the edit rule."""
    _, m = await course_and_membership(conn, course_id, actor_id, lock=True, for_change=True)
    access.require(access.can_edit_content, m, "edit the content")
    return m


async def module_or_404(conn: asyncpg.Connection, module_id: uuid.UUID) -> asyncpg.Record:
    module = await store.get_module(conn, module_id)
    if module is None:
        raise NotFound("No such module.", code="module_not_found")
    return module


async def resource_or_404(conn: asyncpg.Connection, resource_id: uuid.UUID) -> asyncpg.Record:
    resource = await store.get_resource(conn, resource_id)
    if resource is None:
        raise NotFound("No such resource.", code="resource_not_found")
    return resource


async def record_change(
    uow: UnitOfWork,
    m: Membership | None,
    type: str,
    *,
    course_id: uuid.UUID,
    **data: Any,
) -> None:
    data = {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in data.items()}
    await log_if_assistant(
        uow.conn, m, course_id=course_id, actor_id=uow.actor_id, action=type, now=uow.now, **data
    )
    uow.record(event(type, course_stream(course_id), at=uow.now, course_id=str(course_id), **data))


async def list_modules(*, pool: Pool, actor_id: uuid.UUID, course_id: uuid.UUID) -> ModulesRead:
    async with pool.acquire() as conn:
        _, m = await course_and_membership(conn, course_id, actor_id)
        access.require(access.can_read_content, m, "read the modules")
        modules = await store.modules(conn, course_id)
        resources = await store.resources_of_course(conn, course_id)
    by_module: dict[uuid.UUID, list[ResourceRead]] = {}
    for r in resources:
        by_module.setdefault(r["module_id"], []).append(resource_read(r))
    return ModulesRead(items=[module_read(r, by_module.get(r["id"])) for r in modules])


async def create_module(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    course_id: uuid.UUID,
    data: ModuleCreate,
) -> ModuleRead:
    module_id = uuid.uuid4()
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn = uow.conn
        m = await require_editor(conn, course_id, context.actor_id)
        await store.insert_module(
            conn,
            module_id=module_id,
            course_id=course_id,
            title=data.title,
            description=data.description,
            now=uow.now,
        )
        await record_change(
            uow, m, "module.changed", course_id=course_id, module_id=module_id, change="created"
        )
        uow.audit(
            "module.create",
            target=("module", module_id),
            changes=changes_between(None, {"course_id": course_id, **data.model_dump()}),
        )
        return module_read(await module_or_404(conn, module_id))


async def update_module(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    module_id: uuid.UUID,
    data: ModuleUpdate,
) -> ModuleRead:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn = uow.conn
        before = await module_or_404(conn, module_id)
        course_id = before["course_id"]
        m = await require_editor(conn, course_id, context.actor_id)
        changes = data.model_dump(exclude_unset=True)
        await store.update_row(conn, MODULES, module_id, changes, uow.now)
        await record_change(
            uow, m, "module.changed", course_id=course_id, module_id=module_id, change="updated"
        )
        uow.audit(
            "module.update",
            target=("module", module_id),
            changes=changes_between(before, changes),
        )
        return module_read(await module_or_404(conn, module_id))


async def delete_module(
    *,
    pool: Pool,
    clock: Clock,
    storage: FileStorage,
    context: RequestContext,
    module_id: uuid.UUID,
) -> None:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn = uow.conn
        module = await module_or_404(conn, module_id)
        course_id = module["course_id"]
        m = await require_editor(conn, course_id, context.actor_id)
        files = [
            r["file_key"]
            for r in await store.resources_of_course(conn, course_id)
            if r["module_id"] == module_id and r["file_key"]
        ]
        await store.delete_row(conn, MODULES, module_id)
        await record_change(
            uow, m, "module.changed", course_id=course_id, module_id=module_id, change="deleted"
        )
        uow.audit(
            "module.delete",
            target=("module", module_id),
            changes={"title": [module["title"], None]},
        )
    for key in files:  # after the commit: a rolled-back delete must keep its files
        await storage.delete(COURSE_FILES, key)


async def reorder_modules(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    course_id: uuid.UUID,
    ids: list[uuid.UUID],
) -> ModulesRead:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn = uow.conn
        m = await require_editor(conn, course_id, context.actor_id)
        before = [r["id"] for r in await store.modules(conn, course_id)]
        check_permutation(before, ids, "modules")
        await store.reorder(conn, MODULES, "course_id", course_id, ids)
        await record_change(
            uow, m, "modules.reordered", course_id=course_id, ids=[str(i) for i in ids]
        )
        uow.audit(
            "course.reorder_modules",
            target=("course", course_id),
            changes=changes_between({"module_order": before}, {"module_order": ids}),
        )
    return await list_modules(pool=pool, actor_id=context.actor_id, course_id=course_id)
