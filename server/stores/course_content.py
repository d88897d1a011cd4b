"""Queries on `course_modules` and `course_resources`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

RESOURCE_COLUMNS = (
    "id, module_id, course_id, kind, title, url, file_key, content_type, size_bytes, position, "
    "created_at, updated_at"
)


async def outline(conn: asyncpg.Connection, course_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, title, position FROM course_modules WHERE course_id = $1 ORDER BY position",
        course_id,
    )


async def modules(conn: asyncpg.Connection, course_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, course_id, title, description, position, created_at, updated_at "
        "FROM course_modules WHERE course_id = $1 ORDER BY position",
        course_id,
    )


async def resources_of_course(
    conn: asyncpg.Connection, course_id: uuid.UUID
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {RESOURCE_COLUMNS} FROM course_resources WHERE course_id = $1 "
        "ORDER BY module_id, position",
        course_id,
    )


async def get_module(conn: asyncpg.Connection, module_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, course_id, title, description, position, created_at, updated_at "
        "FROM course_modules WHERE id = $1",
        module_id,
    )


async def insert_module(
    conn: asyncpg.Connection,
    *,
    module_id: uuid.UUID,
    course_id: uuid.UUID,
    title: str,
    description: str,
    now: datetime,
) -> None:
    # The caller holds the course row lock, so max(position) + 1 cannot race.
    await conn.execute(
        "INSERT INTO course_modules (id, course_id, title, description, position, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, (SELECT coalesce(max(position), 0) + 1 "
        "FROM course_modules WHERE course_id = $2), $5, $5)",
        module_id,
        course_id,
        title,
        description,
        now,
    )


async def update_row(
    conn: asyncpg.Connection, table: str, row_id: uuid.UUID, changes: dict[str, Any], now: datetime
) -> None:
    """PATCH for a module or resource; `changes` keys come from a pydantic model, never users."""
    assert table in ("course_modules", "course_resources")
    names = sorted(changes)
    sets = "".join(f", {n} = ${i}" for i, n in enumerate(names, start=3))
    await conn.execute(
        f"UPDATE {table} SET updated_at = $2{sets} WHERE id = $1",
        row_id,
        now,
        *(changes[n] for n in names),
    )


async def delete_row(conn: asyncpg.Connection, table: str, row_id: uuid.UUID) -> None:
    assert table in ("course_modules", "course_resources")
    await conn.execute(f"DELETE FROM {table} WHERE id = $1", row_id)


async def reorder(
    conn: asyncpg.Connection, table: str, parent: str, parent_id: uuid.UUID, ids: list[uuid.UUID]
) -> None:
    """Positions 1..n in the given order, in one statement (the unique index is deferred)."""
    assert (table, parent) in (("course_modules", "course_id"), ("course_resources", "module_id"))
    await conn.execute(
        f"UPDATE {table} t SET position = o.n FROM unnest($2::uuid[]) WITH ORDINALITY AS o(id, n) "
        f"WHERE t.id = o.id AND t.{parent} = $1",
        parent_id,
        ids,
    )


async def child_ids(
    conn: asyncpg.Connection, table: str, parent: str, parent_id: uuid.UUID
) -> list[uuid.UUID]:
    assert (table, parent) in (("course_modules", "course_id"), ("course_resources", "module_id"))
    rows = await conn.fetch(f"SELECT id FROM {table} WHERE {parent} = $1", parent_id)
    return [r["id"] for r in rows]


async def lock_module(conn: asyncpg.Connection, module_id: uuid.UUID) -> None:
    await conn.execute("SELECT 1 FROM course_modules WHERE id = $1 FOR UPDATE", module_id)


async def get_resource(conn: asyncpg.Connection, resource_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {RESOURCE_COLUMNS} FROM course_resources WHERE id = $1", resource_id
    )


async def insert_resource(
    conn: asyncpg.Connection,
    *,
    resource_id: uuid.UUID,
    module_id: uuid.UUID,
    course_id: uuid.UUID,
    kind: str,
    title: str,
    url: str | None,
    file_key: str | None,
    content_type: str | None,
    size_bytes: int | None,
    now: datetime,
) -> None:
    # The caller holds the module row lock, so max(position) + 1 cannot race.
    await conn.execute(
        "INSERT INTO course_resources (id, module_id, course_id, kind, title, url, file_key, "
        "content_type, size_bytes, position, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, "
        "$6, $7, $8, $9, (SELECT coalesce(max(position), 0) + 1 FROM course_resources "
        "WHERE module_id = $2), $10, $10)",
        resource_id,
        module_id,
        course_id,
        kind,
        title,
        url,
        file_key,
        content_type,
        size_bytes,
        now,
    )
