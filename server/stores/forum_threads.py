"""Queries on `forum_threads`: a thread with its reader's membership, the list (and search),
and the thread's own state (tags, module, pin, lock, accepted answer, counters)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

THREAD_COLUMNS = (
    "t.id, t.course_id, t.module_id, t.author_id, t.private, t.tags, t.pinned, t.locked, "
    "t.accepted_answer_id, t.answer_count, t.last_activity_at, t.created_at, t.deleted_at"
)
# The question's columns a list item shows, beside the thread's.
ITEM_COLUMNS = (
    f"{THREAD_COLUMNS}, q.title, q.anonymous, q.upvotes, q.downvotes, "
    "q.endorsed_by IS NOT NULL AS endorsed, u.name AS author_name"
)
# Each sort's keyset, newest / highest first; pinned threads lead every sort but relevance.
SORT_KEYS = {
    "activity": ("pinned", "last_activity_at", "id"),
    "recent": ("pinned", "created_at", "id"),
    "votes": ("pinned", "score", "id"),
    "relevance": ("rank", "id"),
}


async def with_membership(
    conn: asyncpg.Connection, thread_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    """The thread, whether its course was deleted, and the user's membership (m_*)."""
    return await conn.fetchrow(
        f"SELECT {THREAD_COLUMNS}, c.deleted_at AS course_deleted_at, m.role AS m_role, "
        "m.status AS m_status, m.permissions::text AS m_permissions "
        "FROM forum_threads t JOIN courses c ON c.id = t.course_id "
        "LEFT JOIN course_members m ON m.course_id = t.course_id AND m.user_id = $2 "
        f"WHERE t.id = $1{' FOR UPDATE OF t' if lock else ''}",
        thread_id,
        user_id,
    )


async def course_standing(
    conn: asyncpg.Connection, course_id: uuid.UUID, user_id: uuid.UUID
) -> asyncpg.Record | None:
    """Whether the course was deleted, and the user's membership (m_*): one round trip."""
    return await conn.fetchrow(
        "SELECT c.deleted_at, m.role AS m_role, m.status AS m_status, "
        "m.permissions::text AS m_permissions FROM courses c "
        "LEFT JOIN course_members m ON m.course_id = c.id AND m.user_id = $2 WHERE c.id = $1",
        course_id,
        user_id,
    )


async def insert(
    conn: asyncpg.Connection,
    *,
    thread_id: uuid.UUID,
    course_id: uuid.UUID,
    module_id: uuid.UUID | None,
    author_id: uuid.UUID,
    private: bool,
    tags: list[str],
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO forum_threads (id, course_id, module_id, author_id, private, tags, "
        "last_activity_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        thread_id,
        course_id,
        module_id,
        author_id,
        private,
        tags,
        now,
    )


async def update(conn: asyncpg.Connection, thread_id: uuid.UUID, changes: dict[str, Any]) -> None:
    """`changes`: any of tags, module_id, pinned, locked."""
    allowed = ("tags", "module_id", "pinned", "locked")
    names = [n for n in allowed if n in changes]
    if not names:
        return
    sets = ", ".join(f"{n} = ${i}" for i, n in enumerate(names, start=2))
    await conn.execute(
        f"UPDATE forum_threads SET {sets} WHERE id = $1", thread_id, *(changes[n] for n in names)
    )


async def answer_added(conn: asyncpg.Connection, thread_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(
        "UPDATE forum_threads SET answer_count = answer_count + 1, last_activity_at = $2 "
        "WHERE id = $1",
        thread_id,
        now,
    )


async def answer_removed(
    conn: asyncpg.Connection, thread_id: uuid.UUID, answer_id: uuid.UUID
) -> None:
    await conn.execute(
        "UPDATE forum_threads SET answer_count = answer_count - 1, accepted_answer_id = "
        "CASE WHEN accepted_answer_id = $2 THEN NULL ELSE accepted_answer_id END WHERE id = $1",
        thread_id,
        answer_id,
    )


async def mark_deleted(conn: asyncpg.Connection, thread_id: uuid.UUID, now: datetime) -> None:
    await conn.execute("UPDATE forum_threads SET deleted_at = $2 WHERE id = $1", thread_id, now)


async def set_accepted(
    conn: asyncpg.Connection, thread_id: uuid.UUID, answer_id: uuid.UUID | None
) -> None:
    await conn.execute(
        "UPDATE forum_threads SET accepted_answer_id = $2 WHERE id = $1", thread_id, answer_id
    )


async def set_score(conn: asyncpg.Connection, thread_id: uuid.UUID, score: int) -> None:
    await conn.execute("UPDATE forum_threads SET score = $2 WHERE id = $1", thread_id, score)


class _Sql:
    def __init__(self) -> None:
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"


def thread_list_query(
    *,
    course_id: uuid.UUID,
    viewer_id: uuid.UUID,
    staff: bool,
    q: str | None,
    tag: str | None,
    module_id: uuid.UUID | None,
    unanswered: bool,
    sort: str,
    after: tuple[Any, ...] | None,
    limit: int,
) -> tuple[str, list[Any]]:
    """A course's threads the viewer may read, keyset-ordered by `sort`. With `q`, threads
    whose question or a live answer matches, ranked by their best post (titles weigh most)."""
    sql = _Sql()
    course = sql.arg(course_id)
    where = [f"t.course_id = {course}", "t.deleted_at IS NULL"]
    if not staff:  # private threads: the staff's and their author's only
        where.append(f"(NOT t.private OR t.author_id = {sql.arg(viewer_id)})")
    if tag is not None:
        where.append(f"{sql.arg(tag)} = ANY (t.tags)")
    if module_id is not None:
        where.append(f"t.module_id = {sql.arg(module_id)}")
    if unanswered:
        where.append("t.answer_count = 0")
    source, rank = "forum_threads t", ""
    if q:
        # The query is parsed once (each sublink is an InitPlan), and the planner, not knowing
        # it, takes the GIN index: with the words in view it would estimate a sequential scan
        # cheaper, but matching every stored vector costs ten times the index's work.
        query = f"(SELECT forum_query({sql.arg(q)}))"
        source = (
            f"(SELECT p.thread_id, max(ts_rank(p.search, {query}))::float8 AS rank "
            f"FROM forum_posts p WHERE p.search @@ {query} AND p.course_id = {course} "
            "AND p.deleted_at IS NULL GROUP BY p.thread_id) h "
            "JOIN forum_threads t ON t.id = h.thread_id"
        )
        rank = ", h.rank"
    keys = [f"h.{k}" if k == "rank" else f"t.{k}" for k in SORT_KEYS[sort]]
    if after is not None:
        where.append(f"({', '.join(keys)}) < ({', '.join(sql.arg(v) for v in after)})")
    # The page is chosen on the threads alone; its questions and authors are joined after.
    page = (
        f"SELECT t.*{rank} FROM {source} WHERE {' AND '.join(where)} "
        f"ORDER BY {', '.join(f'{k} DESC' for k in keys)} LIMIT {sql.arg(limit)}"
    )
    again = ", ".join(f"t.{k} DESC" for k in SORT_KEYS[sort])
    text = (
        f"SELECT {ITEM_COLUMNS}{', t.rank' if q else ''}, t.score FROM ({page}) t "
        f"JOIN forum_posts q ON q.id = t.id JOIN users u ON u.id = q.author_id ORDER BY {again}"
    )
    return text, sql.args


async def thread_list(conn: asyncpg.Connection, **kw: Any) -> list[asyncpg.Record]:
    text, args = thread_list_query(**kw)
    return await conn.fetch(text, *args)
