"""Who follows a thread, and who a post may reach (followers to notify, members to mention).

Both audiences are the people who may still read the thread now: members not removed, and for a
private thread only the course's staff and its author.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

# `m` is the candidate's membership, `t` the thread.
_MAY_READ = (
    "m.status <> 'removed' AND (NOT t.private OR m.role IN ('owner', 'assistant') "
    "OR m.user_id = t.author_id)"
)


async def follow(
    conn: asyncpg.Connection, thread_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> bool:
    """True when the user was not following yet."""
    done = await conn.fetchval(
        "INSERT INTO forum_follows (thread_id, user_id, since) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING RETURNING true",
        thread_id,
        user_id,
        now,
    )
    return bool(done)


async def unfollow(conn: asyncpg.Connection, thread_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    done = await conn.fetchval(
        "DELETE FROM forum_follows WHERE thread_id = $1 AND user_id = $2 RETURNING true",
        thread_id,
        user_id,
    )
    return bool(done)


async def is_following(conn: asyncpg.Connection, thread_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT true FROM forum_follows WHERE thread_id = $1 AND user_id = $2",
            thread_id,
            user_id,
        )
    )


async def followers_to_notify(
    conn: asyncpg.Connection, thread_id: uuid.UUID, answer_id: uuid.UUID
) -> list[uuid.UUID]:
    """The thread's followers who may still read it, but not the answer's own author."""
    rows = await conn.fetch(
        "SELECT f.user_id FROM forum_follows f JOIN forum_threads t ON t.id = f.thread_id "
        "JOIN course_members m ON m.course_id = t.course_id AND m.user_id = f.user_id "
        "JOIN forum_posts a ON a.id = $2 AND a.thread_id = t.id "
        f"WHERE f.thread_id = $1 AND f.user_id <> a.author_id AND {_MAY_READ} "
        "ORDER BY f.user_id",
        thread_id,
        answer_id,
    )
    return [r["user_id"] for r in rows]


async def readers_by_name(conn: asyncpg.Connection, thread_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Everyone who may read the thread, with their names (whom a post in it may mention)."""
    rows = await conn.fetch(
        "SELECT u.id, u.name FROM forum_threads t "
        "JOIN course_members m ON m.course_id = t.course_id JOIN users u ON u.id = m.user_id "
        f"WHERE t.id = $1 AND {_MAY_READ}",
        thread_id,
    )
    return {r["id"]: r["name"] for r in rows}
