"""Admins governing users: the list, the (audited) detail, blocks and permissions.

A block takes effect at once: the user's status and token version change in one transaction,
so access tokens stop at the next request, refresh tokens are revoked, and the commit's NOTIFY
on `user_token_state` makes every process drop the user's cached token state and end the live
sockets with `session.ended {code: account_blocked}` (server/realtime/relay.py, sweep).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import asyncpg
from pymongo.asynchronous.database import AsyncDatabase

from server.domain.admin_audit import wire
from server.domain.admin_users import (
    PERMISSIONS,
    AdminUserDetail,
    AdminUserItem,
    AdminUserPage,
    AdminUserQuery,
    BlockRead,
    BlockRequest,
    CourseCounts,
    Permissions,
    PermissionsUpdate,
    UserCourse,
    check_block_until,
)
from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import SYSTEM, RequestContext
from server.domain.cursors import decode_cursor, encode_cursor
from server.domain.errors import Conflict, NotFound
from server.domain.events import event, user_stream
from server.pg_pool import Pool
from server.services.unit_of_work import UnitOfWork, unit_of_work
from server.stores import admin_audit, admin_deliveries, credentials
from server.stores import admin_users as store
from server.stores import users as users_store

RECENT = 20


def _item(row: asyncpg.Record) -> AdminUserItem:
    return AdminUserItem(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        status=row["status"],
        email_verified=row["email_verified"],
        registered_at=row["created_at"],
        last_login_at=row["last_login_at"],
        courses=CourseCounts(
            owned=row["owned"], teaching=row["teaching"], enrolled=row["enrolled"]
        ),
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


async def list_users(*, pool: Pool, query: AdminUserQuery) -> AdminUserPage:
    after = None
    if query.cursor:
        after = decode_cursor(query.cursor, datetime, uuid.UUID)
    before = _day_start(query.registered_to) + timedelta(days=1) if query.registered_to else None
    async with pool.acquire() as conn:
        rows = await store.search(
            conn,
            q=query.q,
            status=query.status,
            registered_from=_day_start(query.registered_from) if query.registered_from else None,
            registered_before=before,
            after=after,
            limit=query.limit + 1,
        )
    more, rows = len(rows) > query.limit, rows[: query.limit]
    last = rows[-1] if rows else None
    return AdminUserPage(
        items=[_item(r) for r in rows],
        next_cursor=encode_cursor(last["created_at"].isoformat(), last["id"]) if more else None,
    )


def _block(row: asyncpg.Record | None) -> BlockRead | None:
    return BlockRead(**dict(row)) if row is not None else None


async def user_detail(
    *, pool: Pool, clock: Clock, context: RequestContext, db: AsyncDatabase, user_id: uuid.UUID
) -> AdminUserDetail:
    """Everything about a user; the reading itself is audited (`user.view`)."""
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        row = await store.item(uow.conn, user_id)
        if row is None:
            raise NotFound("No such user.", code="user_not_found")
        block = await store.block_of(uow.conn, user_id)
        perms = await store.permissions_of(uow.conn, user_id)
        courses = await store.courses_of(uow.conn, user_id)
        uow.audit("user.view", target=("user", user_id))
    deliveries = await admin_deliveries.page(
        db, user_id=str(user_id), status=None, channel=None, after=None, limit=RECENT
    )
    audit = await admin_audit.about(db, str(user_id), RECENT)
    return AdminUserDetail(
        **_item(row).model_dump(),
        block=_block(block),
        permissions=Permissions(**dict(perms)) if perms else Permissions(),
        course_list=[UserCourse(**dict(c)) for c in courses],
        recent_deliveries=deliveries,
        recent_audit=[wire(e) for e in audit],
    )


async def _locked_user(uow: UnitOfWork, user_id: uuid.UUID) -> asyncpg.Record:
    user = await users_store.by_id(uow.conn, user_id, for_update=True)
    if user is None or user["status"] == "deleted":
        raise NotFound("No such user.", code="user_not_found")
    return user


async def block_user(
    *, pool: Pool, clock: Clock, context: RequestContext, user_id: uuid.UUID, data: BlockRequest
) -> BlockRead:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        user, now = await _locked_user(uow, user_id), uow.now
        if user["status"] == "blocked":
            raise Conflict("The user is already blocked.", code="already_blocked")
        check_block_until(data.until, now)
        await users_store.update(uow.conn, user_id, now=now, status="blocked")
        await users_store.bump_token_version(uow.conn, user_id, now)  # access tokens stop
        await credentials.revoke_all_for_user(uow.conn, user_id, now)  # and refresh tokens
        await store.put_block(
            uow.conn,
            user_id=user_id,
            reason=data.reason,
            until=data.until,
            by=context.actor_id,
            now=now,
        )
        until = data.until.isoformat() if data.until else None
        uow.record(
            event(
                "account.blocked",
                user_stream(user_id),
                at=now,
                user_id=str(user_id),
                reason=data.reason,
                until=until,
            )
        )
        uow.audit(
            "user.block",
            target=("user", user_id),
            changes={
                "status": ["active", "blocked"],
                "reason": [None, data.reason],
                "until": [None, until],
            },
        )
        return BlockRead(
            reason=data.reason, until=data.until, blocked_by=context.actor_id, blocked_at=now
        )


async def _lift(uow: UnitOfWork, user_id: uuid.UUID, why: str) -> None:
    block = await store.block_of(uow.conn, user_id)
    await users_store.update(uow.conn, user_id, now=uow.now, status="active")
    await store.drop_block(uow.conn, user_id)
    uow.record(
        event(
            "account.unblocked",
            user_stream(user_id),
            at=uow.now,
            user_id=str(user_id),
            reason=why,
            until=None,
        )
    )
    uow.audit(
        "user.unblock",
        target=("user", user_id),
        changes={
            "status": ["blocked", "active"],
            "reason": [block["reason"] if block else None, None],
        },
    )


async def unblock_user(
    *, pool: Pool, clock: Clock, context: RequestContext, user_id: uuid.UUID
) -> None:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        user = await _locked_user(uow, user_id)
        if user["status"] != "blocked":
            raise Conflict("The user is not blocked.", code="not_blocked")
        await _lift(uow, user_id, "lifted_by_admin")


async def lift_expired_blocks(*, pool: Pool, clock: Clock) -> int:
    """Lift every block whose `until` has come, one unit of work each (actor: system)."""
    lifted = 0
    while True:
        async with unit_of_work(pool=pool, clock=clock, context=SYSTEM) as uow:
            user_id = await store.claim_expired_block(uow.conn, uow.now)
            if user_id is None:
                uow.unchanged()
                return lifted
            await _lift(uow, user_id, "block_expired")
        lifted += 1


async def update_permissions(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    user_id: uuid.UUID,
    data: PermissionsUpdate,
) -> Permissions:
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        await _locked_user(uow, user_id)
        row = await store.permissions_of(uow.conn, user_id)
        before = dict(row) if row else Permissions().model_dump()
        after = {**before, **data.model_dump(exclude_unset=True)}
        await store.put_permissions(uow.conn, user_id, after, uow.now)
        uow.record(
            event(
                "account.permissions_changed",
                user_stream(user_id),
                at=uow.now,
                user_id=str(user_id),
                **{p: after[p] for p in PERMISSIONS},
            )
        )
        uow.audit(
            "user.permissions_change",
            target=("user", user_id),
            changes=changes_between(before, after, PERMISSIONS),
        )
        return Permissions(**after)
