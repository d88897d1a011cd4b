"""The catalog and a user's own courses (teaching, learning, favorites), a page at a time."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from server.domain.clock import Clock
from server.domain.courses import (
    CatalogQuery,
    CoursePage,
    MyCoursesQuery,
    item_from,
)
from server.domain.cursors import decode_cursor, encode_cursor
from server.pg_pool import Pool
from server.stores import courses as store


def _after(cursor: str | None) -> tuple[date, uuid.UUID] | None:
    if cursor is None:
        return None
    return decode_cursor(cursor, date, uuid.UUID)  # type: ignore[return-value]


def _page(rows: list[asyncpg.Record], limit: int, today: date) -> CoursePage:
    # One validation of the whole page runs in pydantic-core: faster than building each item
    # in Python, even with model_construct.
    items = [item_from(r, today=today, my_role=r["my_role"]) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return CoursePage.model_validate(
        {
            "items": items,
            "next_cursor": encode_cursor(last["starts_on"], last["id"]) if last else None,
        }
    )


def catalog_filters(query: CatalogQuery) -> dict[str, Any]:
    return query.model_dump(
        include={
            "q",
            "category",
            "level",
            "modality",
            "starts_after",
            "starts_before",
            "available_only",
        }
    )


async def catalog(
    *,
    pool: Pool,
    clock: Clock,
    actor_id: uuid.UUID,
    query: CatalogQuery,
    favorites_only: bool = False,
) -> CoursePage:
    today = clock.now().date()
    async with pool.acquire() as conn:
        # One row past the page tells whether there is a next one.
        rows = await store.catalog(
            conn,
            viewer_id=actor_id,
            today=today,
            filters=catalog_filters(query),
            after=_after(query.cursor),
            limit=query.limit + 1,
            favorites_only=favorites_only,
        )
    return _page(rows, query.limit, today)


async def my_courses(
    *, pool: Pool, clock: Clock, actor_id: uuid.UUID, query: MyCoursesQuery
) -> CoursePage:
    today = clock.now().date()
    async with pool.acquire() as conn:
        rows = await store.my_courses(
            conn,
            user_id=actor_id,
            today=today,
            role=query.role,
            state=query.state,
            q=query.q,
            after=_after(query.cursor),
            limit=query.limit + 1,
        )
    return _page(rows, query.limit, today)
