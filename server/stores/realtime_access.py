"""Lookups the realtime layer needs to authorize sockets (read-only; no transaction needed)."""

from __future__ import annotations

import uuid

import asyncpg


async def assignment_course(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> uuid.UUID | None:
    """The course of an assignment that still exists, or None."""
    try:
        return await conn.fetchval(
            "SELECT course_id FROM assignments WHERE id = $1 AND deleted_at IS NULL",
            assignment_id,
        )
    except asyncpg.UndefinedColumnError:
        # Hard-deleting schema: no deleted_at column.
        return await conn.fetchval("SELECT course_id FROM assignments WHERE id = $1", assignment_id)
    except asyncpg.UndefinedTableError:  # assignments arrive with their own issue
        return None
