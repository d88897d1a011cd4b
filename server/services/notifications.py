"""The inbox and preferences use cases (REST).

Every change to an inbox is one unit of work: it takes the user's unread row (the order of
their inbox changes, see server/stores/notification_counters.py), changes the items in Mongo,
counts what is left unread, and records `notification.unread_count` on the user's stream with
its audit entry, so every open device stays in step. Someone else's notification is a 404.
"""

from __future__ import annotations

import uuid

from pymongo.asynchronous.database import AsyncDatabase

from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.errors import InvalidInput, NotFound
from server.domain.notification_plan import item_read, unread_event
from server.domain.notification_rules import locked_choices
from server.domain.notifications import (
    NotificationPage,
    NotificationQuery,
    NotificationRead,
    PreferencesBody,
    PreferencesRead,
    UnreadCount,
    page_before,
    page_cursor,
    preferences_read,
)
from server.pg_pool import Pool
from server.services.unit_of_work import UnitOfWork, unit_of_work
from server.stores import notification_counters as counters
from server.stores import notification_inbox as inbox
from server.stores import notification_preferences as preferences


def _not_found() -> NotFound:
    return NotFound("No such notification.", code="notification_not_found")


async def list_notifications(
    *, db: AsyncDatabase, user_id: uuid.UUID, query: NotificationQuery
) -> NotificationPage:
    docs = await inbox.page(
        db,
        user_id,
        unread_only=query.unread_only,
        course_id=query.course_id,
        before_seq=page_before(query.cursor),
        limit=query.limit + 1,
    )
    shown = docs[: query.limit]
    more = len(docs) > query.limit
    return NotificationPage(
        items=[item_read(d) for d in shown],
        next_cursor=page_cursor(shown[-1]["seq"]) if more else None,
    )


async def unread_count(*, db: AsyncDatabase, user_id: uuid.UUID) -> UnreadCount:
    return UnreadCount(unread=await inbox.unread_count(db, user_id))


async def _publish_count(uow: UnitOfWork, db: AsyncDatabase) -> int:
    unread = await inbox.unread_count(db, uow.actor_id)
    await counters.set_counts(uow.conn, {str(uow.actor_id): unread})
    uow.record(unread_event(uow.actor_id, unread, at=uow.now))
    return unread


async def mark_read(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    db: AsyncDatabase,
    notification_id: uuid.UUID,
) -> NotificationRead:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        await counters.lock(uow.conn, uow.actor_id)
        doc, changed = await inbox.mark_read(db, uow.actor_id, str(notification_id), uow.now)
        if doc is None:
            raise _not_found()
        if not changed:  # read already: nothing to count, audit or tell the devices
            uow.unchanged()
            return item_read(doc)
        await _publish_count(uow, db)
        uow.audit("notification.read", target=("notification", notification_id))
        return item_read(doc)


async def mark_all_read(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    db: AsyncDatabase,
    course_id: uuid.UUID | None,
) -> UnreadCount:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        await counters.lock(uow.conn, uow.actor_id)
        changed = await inbox.mark_all_read(db, uow.actor_id, course_id, uow.now)
        if not changed:
            uow.unchanged()
            return UnreadCount(unread=await inbox.unread_count(db, uow.actor_id))
        unread = await _publish_count(uow, db)
        uow.audit(
            "notification.read_all",
            target=("user", uow.actor_id),
            changes={
                "read": [0, changed],
                **({"course_id": [None, str(course_id)]} if course_id else {}),
            },
        )
        return UnreadCount(unread=unread)


async def archive(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    db: AsyncDatabase,
    notification_id: uuid.UUID,
) -> None:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        await counters.lock(uow.conn, uow.actor_id)
        if not await inbox.archive(db, uow.actor_id, str(notification_id), uow.now):
            raise _not_found()
        await _publish_count(uow, db)
        uow.audit("notification.archive", target=("notification", notification_id))


async def get_preferences(*, db: AsyncDatabase, user_id: uuid.UUID) -> PreferencesRead:
    return preferences_read(await preferences.load(db, user_id))


async def put_preferences(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    db: AsyncDatabase,
    body: PreferencesBody,
) -> PreferencesRead:
    if locked := locked_choices(body.chosen()):
        raise InvalidInput(
            "Security notices go by email and can't be turned off or delayed.",
            code="preference_locked",
            details=locked,
        )
    stored = body.to_stored()
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        before = await preferences.load(db, uow.actor_id)
        uow.audit(
            "notification_preferences.update",
            target=("user", uow.actor_id),
            changes=changes_between(before.model_dump(mode="json"), stored.model_dump(mode="json")),
        )
        # Last, just before the commit: a refusal above leaves the stored preferences as they were.
        await preferences.save(db, uow.actor_id, stored)
    return preferences_read(stored)
