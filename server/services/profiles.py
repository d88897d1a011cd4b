"""Profiles: the owner's view and edits, photos, public profiles, search, push devices."""

from __future__ import annotations

import contextlib
import hashlib
import uuid

from server.domain import accounts
from server.domain.accounts import PHOTO_MAX_BYTES, PHOTO_TYPES
from server.domain.audit import changes_between
from server.domain.context import RequestContext
from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.file_types import sniff
from server.domain.users import (
    DeviceCreate,
    DeviceRead,
    PublicUser,
    UserPage,
    UserRead,
    UserSearch,
    UserUpdate,
    decode_cursor,
    encode_cursor,
)
from server.services.accounts_env import AccountsEnv
from server.services.registration import send_pin
from server.services.unit_of_work import unit_of_work
from server.services.user_views import public_user, user_read
from server.stores import credentials, devices
from server.stores import users as users_store
from server.stores.files import PROFILES


def profile_not_available() -> NotFound:
    return NotFound("This profile is not available.", code="profile_not_available")


async def me(env: AccountsEnv, *, user_id: uuid.UUID) -> UserRead:
    async with env.pool.acquire() as conn:
        row = await users_store.by_id(conn, user_id)
    if row is None:
        raise profile_not_available()
    return user_read(row, env.storage)


async def update_me(env: AccountsEnv, *, context: RequestContext, changes: UserUpdate) -> UserRead:
    """Apply the fields sent. A new email waits as `pending_email` until its PIN is verified."""
    sent = changes.model_fields_set
    fields: dict[str, object] = {}
    if "name" in sent:
        fields["name"] = changes.name
    if "bio" in sent:
        fields["bio"] = changes.bio or ""
    if "locale" in sent:
        fields["locale"] = changes.locale
    if "location" in sent:
        loc = changes.location
        fields["location_lat"] = loc.lat if loc else None
        fields["location_lon"] = loc.lon if loc else None
    user_id = context.actor_id
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        current = await users_store.by_id(conn, user_id, for_update=True)
        if current is None:
            raise profile_not_available()
        new_email = accounts.normalize_email(changes.email) if "email" in sent else None
        if new_email == current["email"]:
            fields["pending_email"] = None  # back to the current address: cancel the change
            await credentials.delete_pin(conn, user_id)
        elif new_email is not None:
            if await users_store.email_in_use(conn, new_email):
                raise Conflict("Another account uses this email.", code="email_taken")
            fields["pending_email"] = new_email
        if not fields:
            uow.unchanged()
            return user_read(current, env.storage)
        row = await users_store.update(conn, user_id, now=now, **fields)
        uow.audit(
            "user.profile_update",
            target=("user", user_id),
            changes=changes_between(current, row, fields=list(fields)),
        )
        if new_email is not None and new_email != current["email"]:
            await send_pin(conn, user_id=user_id, name=row["name"], email=new_email, now=now)
    return user_read(row, env.storage)


async def set_photo(env: AccountsEnv, *, context: RequestContext, data: bytes) -> UserRead:
    """Store the image (jpeg, png or webp, judged by its bytes) and point the profile at it."""
    if len(data) > PHOTO_MAX_BYTES:
        raise InvalidInput("The photo is larger than 10 MB.", code="payload_too_large")
    mime = sniff(data)
    if mime not in PHOTO_TYPES:
        raise InvalidInput(
            "The photo must be a JPEG, PNG or WebP image.",
            code="unsupported_image_type",
            details=[{"detected": mime, "allowed": sorted(PHOTO_TYPES)}],
        )
    if env.storage is None:
        raise RuntimeError("no file storage configured")
    user_id = context.actor_id
    key = f"{user_id}/{uuid.uuid4().hex}.{PHOTO_TYPES[mime]}"
    await env.storage.put(PROFILES, key, data, mime)
    try:
        async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
            current = await users_store.by_id(uow.conn, user_id, for_update=True)
            if current is None:
                raise profile_not_available()
            row = await users_store.update(uow.conn, user_id, now=uow.now, photo_key=key)
            uow.audit(
                "user.photo_update",
                target=("user", user_id),
                changes=changes_between(current, row, fields=("photo_key",)),
            )
    except BaseException:
        await env.storage.delete(PROFILES, key)  # nothing points at it
        raise
    if current["photo_key"]:
        await _forget(env, current["photo_key"])
    return user_read(row, env.storage)


async def delete_photo(env: AccountsEnv, *, context: RequestContext) -> UserRead:
    user_id = context.actor_id
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        current = await users_store.by_id(uow.conn, user_id, for_update=True)
        if current is None:
            raise profile_not_available()
        row = await users_store.update(
            uow.conn, user_id, now=uow.now, photo_key=None, external_photo_url=None
        )
        uow.audit(
            "user.photo_delete",
            target=("user", user_id),
            changes=changes_between(current, row, fields=("photo_key", "external_photo_url")),
        )
    if current["photo_key"]:
        await _forget(env, current["photo_key"])
    return user_read(row, env.storage)


async def _forget(env: AccountsEnv, key: str) -> None:
    # The profile no longer points at it; a failed delete only leaves an orphan file.
    if env.storage is not None:
        with contextlib.suppress(Exception):
            await env.storage.delete(PROFILES, key)


async def public_profile(env: AccountsEnv, *, user_id: uuid.UUID) -> PublicUser:
    async with env.pool.acquire() as conn:
        row = await users_store.public_by_id(conn, user_id)
    if row is None:
        raise profile_not_available()
    return public_user(row, env.storage)


async def search(env: AccountsEnv, *, query: UserSearch) -> UserPage:
    after = decode_cursor(query.cursor) if query.cursor else None
    async with env.pool.acquire() as conn:
        rows = await users_store.search(conn, q=query.q, limit=query.limit + 1, after=after)
    page, more = rows[: query.limit], len(rows) > query.limit
    next_cursor = encode_cursor(page[-1]["name_key"], page[-1]["id"]) if more else None
    return UserPage(items=[public_user(r, env.storage) for r in page], next_cursor=next_cursor)


def device_ref(token: str) -> str:
    """Names a device in the audit log without its push token (which lets anyone holding the
    provider's key message the device)."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


async def add_device(
    env: AccountsEnv, *, context: RequestContext, device: DeviceCreate
) -> DeviceRead:
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        row = await devices.upsert(
            uow.conn,
            user_id=context.actor_id,
            token=device.token,
            platform=device.platform,
            now=uow.now,
        )
        uow.audit(
            "device.register",
            target=("device", device_ref(device.token)),
            changes={"platform": [None, row["platform"]]},
        )
    return DeviceRead(token=row["token"], platform=row["platform"], created_at=row["created_at"])


async def remove_device(env: AccountsEnv, *, context: RequestContext, token: str) -> None:
    async with unit_of_work(pool=env.pool, clock=env.clock, context=context) as uow:
        if not await devices.delete(uow.conn, user_id=context.actor_id, token=token):
            raise NotFound("No such device for this account.", code="device_not_found")
        uow.audit("device.delete", target=("device", device_ref(token)))
