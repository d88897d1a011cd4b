"""Queries on forum posts (questions and answers): rows with their authors' names, edits with
their history, tombstones, endorsements, votes, and the posting rate limit."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

POST_COLUMNS = (
    "p.id, p.thread_id, p.course_id, p.kind, p.author_id, p.anonymous, p.title, p.body, "
    "p.upvotes, p.downvotes, p.endorsed_by, p.endorsed_at, p.version, p.edited_by, "
    "p.edited_at, p.created_at, p.deleted_at, p.deleted_by, p.delete_reason, "
    "u.name AS author_name, e.name AS endorser_name, ed.name AS editor_name"
)
_NAMES = (
    "JOIN users u ON u.id = p.author_id LEFT JOIN users e ON e.id = p.endorsed_by "
    "LEFT JOIN users ed ON ed.id = p.edited_by"
)


async def get(
    conn: asyncpg.Connection, post_id: uuid.UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {POST_COLUMNS} FROM forum_posts p {_NAMES} WHERE p.id = $1"
        f"{' FOR UPDATE OF p' if lock else ''}",
        post_id,
    )


async def of_thread(
    conn: asyncpg.Connection, thread_id: uuid.UUID, viewer_id: uuid.UUID
) -> list[asyncpg.Record]:
    """The question, then its answers in the order they came, with the viewer's votes."""
    return await conn.fetch(
        f"SELECT {POST_COLUMNS}, coalesce(v.value, 0) AS my_vote FROM forum_posts p {_NAMES} "
        "LEFT JOIN forum_votes v ON v.post_id = p.id AND v.user_id = $2 "
        "WHERE p.thread_id = $1 ORDER BY p.kind = 'answer', p.created_at, p.id",
        thread_id,
        viewer_id,
    )


async def insert(
    conn: asyncpg.Connection,
    *,
    post_id: uuid.UUID,
    thread_id: uuid.UUID,
    course_id: uuid.UUID,
    author_id: uuid.UUID,
    anonymous: bool,
    title: str | None,
    body: str,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO forum_posts (id, thread_id, course_id, kind, author_id, anonymous, title, "
        "body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        post_id,
        thread_id,
        course_id,
        "question" if title is not None else "answer",
        author_id,
        anonymous,
        title,
        body,
        now,
    )


async def edit(
    conn: asyncpg.Connection,
    post: asyncpg.Record,
    *,
    title: str | None,
    body: str,
    editor_id: uuid.UUID,
    now: datetime,
) -> None:
    """Keep the version being replaced, then write the new one."""
    await conn.execute(
        "INSERT INTO forum_post_versions (post_id, version, title, body, written_by, written_at) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        post["id"],
        post["version"],
        post["title"],
        post["body"],
        post["edited_by"] or post["author_id"],
        post["edited_at"] or post["created_at"],
    )
    await conn.execute(
        "UPDATE forum_posts SET title = $2, body = $3, version = version + 1, edited_by = $4, "
        "edited_at = $5 WHERE id = $1",
        post["id"],
        title,
        body,
        editor_id,
        now,
    )


async def versions(conn: asyncpg.Connection, post_id: uuid.UUID) -> list[asyncpg.Record]:
    """Earlier versions, newest first, with who wrote each."""
    return await conn.fetch(
        "SELECT v.version, v.title, v.body, v.written_by, v.written_at, u.name AS writer_name "
        "FROM forum_post_versions v JOIN users u ON u.id = v.written_by "
        "WHERE v.post_id = $1 ORDER BY v.version DESC",
        post_id,
    )


async def mark_deleted(
    conn: asyncpg.Connection,
    post_id: uuid.UUID,
    *,
    by: uuid.UUID,
    reason: str | None,
    now: datetime,
) -> None:
    await conn.execute(
        "UPDATE forum_posts SET deleted_at = $2, deleted_by = $3, delete_reason = $4 WHERE id = $1",
        post_id,
        now,
        by,
        reason,
    )


async def set_endorsement(
    conn: asyncpg.Connection, post_id: uuid.UUID, *, by: uuid.UUID | None, now: datetime | None
) -> None:
    await conn.execute(
        "UPDATE forum_posts SET endorsed_by = $2, endorsed_at = $3 WHERE id = $1",
        post_id,
        by,
        now,
    )


async def my_vote(conn: asyncpg.Connection, post_id: uuid.UUID, user_id: uuid.UUID) -> int:
    value = await conn.fetchval(
        "SELECT value FROM forum_votes WHERE post_id = $1 AND user_id = $2", post_id, user_id
    )
    return value or 0


async def put_vote(
    conn: asyncpg.Connection, post_id: uuid.UUID, user_id: uuid.UUID, value: int, now: datetime
) -> None:
    if value == 0:
        await conn.execute(
            "DELETE FROM forum_votes WHERE post_id = $1 AND user_id = $2", post_id, user_id
        )
        return
    await conn.execute(
        "INSERT INTO forum_votes (post_id, user_id, value, voted_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (post_id, user_id) DO UPDATE SET value = EXCLUDED.value, "
        "voted_at = EXCLUDED.voted_at",
        post_id,
        user_id,
        value,
        now,
    )


async def add_votes(
    conn: asyncpg.Connection, post_id: uuid.UUID, *, up: int, down: int
) -> asyncpg.Record:
    """Move the post's counters by the vote's change; returns them."""
    return await conn.fetchrow(
        "UPDATE forum_posts SET upvotes = upvotes + $2, downvotes = downvotes + $3 "
        "WHERE id = $1 RETURNING upvotes, downvotes",
        post_id,
        up,
        down,
    )


async def lock_poster(conn: asyncpg.Connection, user_id: uuid.UUID) -> None:
    """Serialise one user's posting (until the transaction ends), so concurrent posts count
    each other for the rate limit."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('forum_post:' || $1::uuid::text, 0))",
        user_id,
    )


async def posted_since(
    conn: asyncpg.Connection, user_id: uuid.UUID, since: datetime
) -> list[datetime]:
    rows = await conn.fetch(
        "SELECT created_at FROM forum_posts WHERE author_id = $1 AND created_at > $2 "
        "ORDER BY created_at",
        user_id,
        since,
    )
    return [r["created_at"] for r in rows]
