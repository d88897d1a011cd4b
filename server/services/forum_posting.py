"""What writing a post checks and causes beyond the post itself: the administrators'
`can_post_forum` permission, the per-user rate limit, and the mentions it notifies."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from server.domain import forum_access as rules
from server.domain.events import DomainEvent, event, user_stream
from server.domain.forum_access import PostingLimit
from server.domain.forum_mentions import newly_mentioned
from server.stores import forum_follows as follows
from server.stores import forum_posts as posts


async def require_forum_posting_permission(conn: asyncpg.Connection, user_id: uuid.UUID) -> None:
    """THE SEAM for administration's `can_post_forum` (403 `permission_withdrawn`).

    The permission lives on the `admin` branch (`server.services.admin_permissions`); once it
    is merged this calls `require_permission(conn, user_id, "can_post_forum")`. Every forum
    write that publishes text (a thread, an answer, an edit) passes through here.
    """
    return None


async def require_may_post(
    conn: asyncpg.Connection, user_id: uuid.UUID, *, now: datetime, limit: PostingLimit
) -> None:
    """The permission, then the rate limit: the user's posts in the last window, counted under
    a per-user lock so concurrent posts see each other (429 `rate_limited`, Retry-After)."""
    await require_forum_posting_permission(conn, user_id)
    await posts.lock_poster(conn, user_id)
    rules.check_rate(
        await posts.posted_since(conn, user_id, now - limit.window), now=now, limit=limit
    )


async def mention_events(
    conn: asyncpg.Connection,
    thread: asyncpg.Record,
    *,
    post_id: uuid.UUID,
    author_id: uuid.UUID,
    title: str,
    before: str | None,
    after: str,
    now: datetime,
) -> list[DomainEvent]:
    """`forum.mentioned` to each reader of the thread the text mentions for the first time
    (not the author). It names the post, never who wrote it: the post may be anonymous."""
    if "@" not in after:
        return []
    readers = await follows.readers_by_name(conn, thread["id"])
    readers.pop(author_id, None)
    return [
        event(
            "forum.mentioned",
            user_stream(user_id),
            at=now,
            user_id=str(user_id),
            course_id=str(thread["course_id"]),
            thread_id=str(thread["id"]),
            post_id=str(post_id),
            title=title,
        )
        for user_id in sorted(newly_mentioned(before, after, readers))
    ]
