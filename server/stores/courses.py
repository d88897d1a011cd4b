"""Queries on `courses`: rows, seats, and the catalog / "my courses" / favourites listings.

Listing SQL is assembled from only the filters present (always with bind parameters), so each
shape gets its own plan that can use the GIN and keyset indexes; `catalog_query` is public so the
benchmark's floor handler runs exactly the same SQL.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

COLUMNS = (
    "c.id, c.owner_id, c.title, c.description, c.short_description, c.category, c.level, "
    "c.modality, c.capacity, c.seats_taken, c.starts_on, c.ends_on, c.enroll_until, "
    "c.objectives::text AS objectives, c.syllabus, c.prerequisite_ids, c.created_at, "
    "c.updated_at, c.deleted_at"
)
ITEM_COLUMNS = (
    "c.id, c.title, c.short_description, c.category, c.level, c.modality, c.capacity, "
    "c.seats_taken, c.starts_on, c.ends_on, c.enroll_until, c.deleted_at"
)
EDITABLE = {
    "title",
    "description",
    "short_description",
    "category",
    "level",
    "modality",
    "capacity",
    "starts_on",
    "ends_on",
    "enroll_until",
    "objectives",
    "syllabus",
    "prerequisite_ids",
}


def _db_value(name: str, value: Any) -> Any:
    return json.dumps(value) if name == "objectives" else value


async def insert(
    conn: asyncpg.Connection,
    *,
    course_id: uuid.UUID,
    owner_id: uuid.UUID,
    fields: dict[str, Any],
    now: datetime,
) -> None:
    names = sorted(fields)
    cols = ", ".join(names)
    params = ", ".join(
        f"${i}::jsonb" if n == "objectives" else f"${i}" for i, n in enumerate(names, start=4)
    )
    await conn.execute(
        f"INSERT INTO courses (id, owner_id, created_at, updated_at, {cols}) "
        f"VALUES ($1, $2, $3, $3, {params})",
        course_id,
        owner_id,
        now,
        *(_db_value(n, fields[n]) for n in names),
    )


async def get(
    conn: asyncpg.Connection, course_id: uuid.UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM courses c WHERE c.id = $1{suffix}", course_id
    )


async def public_profile(conn: asyncpg.Connection, user_id: uuid.UUID) -> asyncpg.Record | None:
    """id, name, bio (and status, for the caller to judge) of a user."""
    return await conn.fetchrow("SELECT id, name, bio, status FROM users WHERE id = $1", user_id)


async def update(
    conn: asyncpg.Connection, course_id: uuid.UUID, changes: dict[str, Any], now: datetime
) -> None:
    names = sorted(n for n in changes if n in EDITABLE)
    sets = ", ".join(
        f"{n} = ${i}::jsonb" if n == "objectives" else f"{n} = ${i}"
        for i, n in enumerate(names, start=3)
    )
    await conn.execute(
        f"UPDATE courses SET updated_at = $2{', ' if sets else ''}{sets} WHERE id = $1",
        course_id,
        now,
        *(_db_value(n, changes[n]) for n in names),
    )


async def mark_deleted(conn: asyncpg.Connection, course_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(
        "UPDATE courses SET deleted_at = $2, updated_at = $2 WHERE id = $1", course_id, now
    )


async def live_titles(conn: asyncpg.Connection, ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    """id, title of the given courses that exist and are not deleted."""
    return await conn.fetch(
        "SELECT id, title FROM courses WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL", ids
    )


async def take_seat(conn: asyncpg.Connection, course_id: uuid.UUID) -> bool:
    """Atomically claim one seat; False when the course is full. Concurrent callers queue on
    the row lock and each re-checks the condition against the committed count."""
    done = await conn.execute(
        "UPDATE courses SET seats_taken = seats_taken + 1 WHERE id = $1 AND seats_taken < capacity",
        course_id,
    )
    return done == "UPDATE 1"


async def free_seat(conn: asyncpg.Connection, course_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE courses SET seats_taken = seats_taken - 1 WHERE id = $1 AND seats_taken > 0",
        course_id,
    )


class _Sql:
    """Collects WHERE clauses and their bind parameters in order."""

    def __init__(self) -> None:
        self.args: list[Any] = []
        self.where: list[str] = []

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, clause: str) -> None:
        self.where.append(clause)


def _filters(sql: _Sql, f: dict[str, Any]) -> None:
    if f.get("q"):
        sql.add(f"c.search @@ websearch_to_tsquery('simple', {sql.arg(f['q'])})")
    for name in ("category", "level", "modality"):
        if f.get(name) is not None:
            sql.add(f"c.{name} = {sql.arg(str(f[name]))}")
    if f.get("starts_after") is not None:
        sql.add(f"c.starts_on >= {sql.arg(f['starts_after'])}")
    if f.get("starts_before") is not None:
        sql.add(f"c.starts_on <= {sql.arg(f['starts_before'])}")
    if f.get("available_only"):
        sql.add("c.seats_taken < c.capacity")


def catalog_query(
    *,
    viewer_id: uuid.UUID,
    today: date,
    filters: dict[str, Any],
    after: tuple[date, uuid.UUID] | None,
    limit: int,
    favorites_only: bool = False,
) -> tuple[str, list[Any]]:
    """The catalog (open courses) or the viewer's favourites, keyset-ordered by (starts_on, id)."""
    sql = _Sql()
    viewer = sql.arg(viewer_id)
    sql.add("c.deleted_at IS NULL")
    join = ""
    if favorites_only:
        join = f"JOIN course_favorites f ON f.course_id = c.id AND f.user_id = {viewer} "
    else:
        sql.add(f"c.enroll_until >= {sql.arg(today)}")
    _filters(sql, filters)
    if after is not None:
        sql.add(f"(c.starts_on, c.id) > ({sql.arg(after[0])}, {sql.arg(after[1])})")
    text = (
        f"SELECT {ITEM_COLUMNS}, m.role AS my_role FROM courses c {join}"
        f"LEFT JOIN course_members m ON m.course_id = c.id AND m.user_id = {viewer} "
        f"AND m.status <> 'removed' "
        f"WHERE {' AND '.join(sql.where)} ORDER BY c.starts_on, c.id LIMIT {sql.arg(limit)}"
    )
    return text, sql.args


async def catalog(conn: asyncpg.Connection, **kw: Any) -> list[asyncpg.Record]:
    text, args = catalog_query(**kw)
    return await conn.fetch(text, *args)


async def my_courses(
    conn: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    today: date,
    role: str | None,
    state: str | None,
    q: str | None,
    after: tuple[date, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Courses the user teaches (owner, assistant) or learns in; finished = ended, or the
    student's result is in; a deleted course counts as finished for its members."""
    sql = _Sql()
    sql.add(f"m.user_id = {sql.arg(user_id)}")
    sql.add("m.status <> 'removed'")
    if role == "teaching":
        sql.add("m.role IN ('owner', 'assistant')")
    elif role == "learning":
        sql.add("m.role = 'student'")
    if state is not None:
        finished = (
            f"(c.ends_on < {sql.arg(today)} OR m.status IN ('approved', 'failed') "
            "OR c.deleted_at IS NOT NULL)"
        )
        sql.add(finished if state == "finished" else f"NOT {finished}")
    _filters(sql, {"q": q})
    if after is not None:
        sql.add(f"(c.starts_on, c.id) > ({sql.arg(after[0])}, {sql.arg(after[1])})")
    return await conn.fetch(
        f"SELECT {ITEM_COLUMNS}, m.role AS my_role FROM course_members m "
        f"JOIN courses c ON c.id = m.course_id WHERE {' AND '.join(sql.where)} "
        f"ORDER BY c.starts_on, c.id LIMIT {sql.arg(limit)}",
        *sql.args,
    )


async def set_favorite(
    conn: asyncpg.Connection, user_id: uuid.UUID, course_id: uuid.UUID, now: datetime
) -> bool:
    done = await conn.execute(
        "INSERT INTO course_favorites (user_id, course_id, created_at) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING",
        user_id,
        course_id,
        now,
    )
    return done == "INSERT 0 1"


async def unset_favorite(
    conn: asyncpg.Connection, user_id: uuid.UUID, course_id: uuid.UUID
) -> bool:
    done = await conn.execute(
        "DELETE FROM course_favorites WHERE user_id = $1 AND course_id = $2", user_id, course_id
    )
    return done != "DELETE 0"
