"""What writing a post checks and causes beyond the post itself: the administrators'
`can_post_forum` permission, the per-user rate limit, the mentions it notifies; and what
deleting one leaves (a tombstone, its event, its audit entry)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from server.domain import forum_access as rules
from server.domain.events import DomainEvent, event, user_stream
from server.domain.forum_access import PostingLimit
from server.domain.forum_mentions import newly_mentioned
from server.services.admin_permissions import require_permission
from server.services.course_context import log_if_assistant
from server.services.forum_views import ThreadContext, forum_event
from server.services.unit_of_work import UnitOfWork
from server.stores import forum_follows as follows
from server.stores import forum_posts as posts


async def require_forum_posting_permission(conn: asyncpg.Connection, user_id: uuid.UUID) -> None:
    """Administration's `can_post_forum` (403 `permission_withdrawn`), read in the post's own
    transaction so a change counts from the next request. Every forum write that publishes
    text (a thread, an answer, an edit) passes through here."""
    await require_permission(conn, user_id, "can_post_forum")


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


async def bury(
    uow: UnitOfWork, ctx: ThreadContext, post: asyncpg.Record, *, reason: str | None
) -> None:
    """Delete a question or an answer to a tombstone: by its author (a reason is optional) or
    by staff (with a reason, which the tombstone shows, and the owner sees in the activity)."""
    actor_id, now = uow.actor_id, uow.now
    by = rules.deletion_by(ctx.m, own=post["author_id"] == actor_id, reason=reason)
    rules.check_live(post["deleted_at"])
    await posts.mark_deleted(uow.conn, post["id"], by=actor_id, reason=reason, now=now)
    target = "forum_thread" if post["kind"] == "question" else "forum_answer"
    if by == "moderator":
        await log_if_assistant(
            uow.conn, ctx.m, course_id=ctx.thread["course_id"], actor_id=actor_id,
            action=f"{target}.deleted", now=now, post_id=post["id"], reason=reason,
        )  # fmt: skip
    tomb = {"at": now.isoformat(), "by": by, "reason": reason}
    uow.record(
        forum_event(
            "forum.post_deleted", ctx.thread, now,
            post_id=str(post["id"]), kind=post["kind"], deleted=tomb,
        )
    )  # fmt: skip
    uow.audit(
        f"{target}.delete",
        target=(target, post["id"]),
        changes={"deleted_at": [None, now.isoformat()], "reason": [None, reason]},
    )
