"""Rows to the user models. The photo URL comes from the storage interface."""

from __future__ import annotations

import asyncpg

from server.domain.users import Location, PublicUser, UserRead
from server.stores.files import PROFILES, FileStorage


def photo_url(row: asyncpg.Record, storage: FileStorage | None) -> str | None:
    if row["photo_key"] and storage is not None:
        return storage.public_url(PROFILES, row["photo_key"])
    return row["external_photo_url"]


def public_user(row: asyncpg.Record, storage: FileStorage | None) -> PublicUser:
    return PublicUser(
        id=row["id"], name=row["name"], bio=row["bio"], photo_url=photo_url(row, storage)
    )


def user_read(row: asyncpg.Record, storage: FileStorage | None) -> UserRead:
    location = None
    if row["location_lat"] is not None and row["location_lon"] is not None:
        location = Location(lat=row["location_lat"], lon=row["location_lon"])
    return UserRead(
        id=row["id"],
        name=row["name"],
        bio=row["bio"],
        photo_url=photo_url(row, storage),
        email=row["email"],
        pending_email=row["pending_email"],
        email_verified=row["email_verified"],
        locale=row["locale"],
        location=location,
        has_password=row["password_hash"] is not None,
        google_linked=row["google_sub"] is not None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
