"""Admin accounts: create (from the CLI or by another admin), list, remove."""

from __future__ import annotations

import uuid

from pymongo.asynchronous.database import AsyncDatabase

from server.domain import accounts
from server.domain.admin import AdminCreate, AdminList, AdminRead, admin_read, check_removal
from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.errors import Conflict, NotFound
from server.domain.events import ADMINS_STREAM, event
from server.pg_pool import Pool
from server.services.admin_intents import mongo_change
from server.services.passwords import Passwords
from server.stores import admin_accounts as store
from server.stores import credentials
from server.stores.credentials import ADMINS

# Admin account events have no reader but the realtime layer (a removed admin's sockets end).
KEY = "admins"  # one lock for every admin account change: "never the last one" needs it


async def create_admin(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    db: AsyncDatabase,
    passwords: Passwords,
    data: AdminCreate,
) -> AdminRead:
    email = accounts.normalize_email(data.email)
    accounts.check_password(data.password, email)
    password_hash = await passwords.hash(data.password)  # slow: before taking the lock
    async with mongo_change(pool=pool, clock=clock, context=context, db=db, key=KEY) as change:
        if await store.by_email(db, email) is not None:
            raise Conflict("An admin with this email exists.", code="email_taken")
        admin_id, now = uuid.uuid4(), change.uow.now
        doc = {
            "_id": str(admin_id),
            "email": email,
            "name": data.name,
            "status": "active",
            "password_hash": password_hash,
            "token_version": 0,
            "created_at": now,
            "created_by": str(context.actor.id) if context.actor.kind == "admin" else None,
        }
        created = event(
            "admin.created",
            ADMINS_STREAM,
            at=now,
            admin_id=str(admin_id),
            email=email,
            name=data.name,
        )
        await change.stage("admin.create", doc, created)
        change.uow.audit(
            "admin.create",
            target=("admin", admin_id),
            changes=changes_between(None, {"email": email, "name": data.name, "status": "active"}),
        )
    return admin_read(doc)


async def list_admins(*, db: AsyncDatabase) -> AdminList:
    return AdminList(items=[admin_read(doc) for doc in await store.listing(db)])


async def remove_admin(
    *, pool: Pool, clock: Clock, context: RequestContext, db: AsyncDatabase, admin_id: uuid.UUID
) -> None:
    async with mongo_change(pool=pool, clock=clock, context=context, db=db, key=KEY) as change:
        doc = await store.by_id(db, str(admin_id))
        if doc is None or doc["status"] != "active":
            raise NotFound("No such admin.", code="admin_not_found")
        check_removal(
            actor_id=context.actor_id, target_id=admin_id, active=await store.count_active(db)
        )
        now = change.uow.now
        removed = event("admin.removed", ADMINS_STREAM, at=now, admin_id=str(admin_id))
        await change.stage("admin.remove", {"admin_id": str(admin_id), "at": now}, removed)
        await credentials.revoke_all_for_user(change.uow.conn, admin_id, now, table=ADMINS)
        change.uow.audit(
            "admin.delete", target=("admin", admin_id), changes={"status": ["active", "removed"]}
        )
