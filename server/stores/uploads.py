"""Queries on `uploads`: the record of each stored file and the course it belongs to."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def insert(
    conn: asyncpg.Connection,
    *,
    file_id: uuid.UUID,
    uploader_id: uuid.UUID,
    file_key: str,
    filename: str,
    content_type: str,
    size_bytes: int,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO uploads (id, uploader_id, file_key, filename, content_type, size_bytes, "
        "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        file_id,
        uploader_id,
        file_key,
        filename,
        content_type,
        size_bytes,
        now,
    )


async def get(conn: asyncpg.Connection, file_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, uploader_id, file_key, filename, content_type, size_bytes, course_id "
        "FROM uploads WHERE id = $1",
        file_id,
    )


async def attach(
    conn: asyncpg.Connection,
    file_ids: list[uuid.UUID],
    *,
    uploader_id: uuid.UUID,
    course_id: uuid.UUID,
) -> list[uuid.UUID]:
    """Tie the caller's own files to a course; returns the ids that could not be attached
    (unknown, someone else's, or already in another course)."""
    if not file_ids:
        return []
    rows = await conn.fetch(
        "UPDATE uploads SET course_id = $3 WHERE id = ANY($1::uuid[]) AND uploader_id = $2 "
        "AND (course_id IS NULL OR course_id = $3) RETURNING id",
        file_ids,
        uploader_id,
        course_id,
    )
    done = {r["id"] for r in rows}
    return [f for f in file_ids if f not in done]


async def attached_to_published_assignment(
    conn: asyncpg.Connection, file_id: uuid.UUID, course_id: uuid.UUID
) -> bool:
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM assignments WHERE course_id = $2 AND $1 = ANY(attachments) "
        "AND published_at IS NOT NULL AND deleted_at IS NULL)",
        file_id,
        course_id,
    )
