"""Queries on `users`. Stores take a connection; the calling use case owns the transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def token_states(
    conn: asyncpg.Connection, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, int]]:
    """What decides whether a user's access tokens still count: (status, token_version) of each
    user (users that do not exist are absent). An active account that never proved its address
    reads as `unverified`: no token of it counts until it does."""
    rows = await conn.fetch(
        "SELECT id, CASE WHEN status = 'active' AND NOT email_verified THEN 'unverified' "
        "ELSE status END AS status, token_version FROM users WHERE id = ANY($1::uuid[])",
        user_ids,
    )
    return {r["id"]: (r["status"], r["token_version"]) for r in rows}


# Everything the owner's view and the account rules need (never the hash's contents to clients).
USER_COLUMNS = (
    "id, email, pending_email, name, bio, locale, location_lat, location_lon, photo_key, "
    "external_photo_url, password_hash, google_sub, email_verified, status, token_version, "
    "created_at, updated_at"
)


async def by_id(
    conn: asyncpg.Connection, user_id: uuid.UUID, *, for_update: bool = False
) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1{lock}", user_id)


async def by_email(
    conn: asyncpg.Connection, email: str, *, for_update: bool = False
) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE email = $1{lock}", email)


async def by_google_sub(conn: asyncpg.Connection, sub: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE google_sub = $1", sub)


async def awaiting_pin(conn: asyncpg.Connection, email: str) -> asyncpg.Record | None:
    """The user a PIN for `email` would prove: an unverified sign-up or a pending change."""
    return await conn.fetchrow(
        f"SELECT {USER_COLUMNS} FROM users "
        "WHERE (email = $1 AND NOT email_verified) OR pending_email = $1 "
        "ORDER BY (pending_email = $1) LIMIT 1 FOR UPDATE",
        email,
    )


async def email_in_use(conn: asyncpg.Connection, email: str) -> bool:
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM users WHERE email = $1 OR pending_email = $1)", email
    )


async def insert(
    conn: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    email: str,
    name: str,
    password_hash: str | None,
    google_sub: str | None,
    email_verified: bool,
    external_photo_url: str | None,
    now: datetime,
) -> asyncpg.Record | None:
    """The new row, or None when the email is taken (a concurrent sign-up included)."""
    return await conn.fetchrow(
        "INSERT INTO users (id, email, name, password_hash, google_sub, email_verified, "
        "external_photo_url, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) "
        f"ON CONFLICT (email) DO NOTHING RETURNING {USER_COLUMNS}",
        user_id,
        email,
        name,
        password_hash,
        google_sub,
        email_verified,
        external_photo_url,
        now,
    )


async def update(
    conn: asyncpg.Connection, user_id: uuid.UUID, *, now: datetime, **fields: object
) -> asyncpg.Record:
    """Set the given columns (names come from code, never from clients) and `updated_at`."""
    names = list(fields)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=3))
    return await conn.fetchrow(
        f"UPDATE users SET updated_at = $2, {assignments} WHERE id = $1 RETURNING {USER_COLUMNS}",
        user_id,
        now,
        *fields.values(),
    )


async def bump_token_version(conn: asyncpg.Connection, user_id: uuid.UUID, now: datetime) -> int:
    return await conn.fetchval(
        "UPDATE users SET token_version = token_version + 1, updated_at = $2 WHERE id = $1 "
        "RETURNING token_version",
        user_id,
        now,
    )


async def public_by_id(conn: asyncpg.Connection, user_id: uuid.UUID) -> asyncpg.Record | None:
    """Only accounts others may see: active and verified."""
    return await conn.fetchrow(
        "SELECT id, name, bio, photo_key, external_photo_url FROM users "
        "WHERE id = $1 AND status = 'active' AND email_verified",
        user_id,
    )


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search(
    conn: asyncpg.Connection,
    *,
    q: str,
    limit: int,
    after: tuple[str, uuid.UUID] | None,
) -> list[asyncpg.Record]:
    """Visible users whose name starts with `q`, by (lower(name), id), keyset-paged. Never by
    email: a prefix match would let anyone rebuild an address one character at a time."""
    after_name, after_id = after if after else (None, None)
    return await conn.fetch(
        "SELECT id, name, bio, photo_key, external_photo_url, lower(name) AS name_key "
        "FROM users WHERE status = 'active' AND email_verified "
        "AND lower(name) LIKE $1 "
        "AND ($2::text IS NULL OR (lower(name), id) > ($2, $3::uuid)) "
        "ORDER BY lower(name), id LIMIT $4",
        _like_prefix(q.lower()),
        after_name,
        after_id,
        limit,
    )
