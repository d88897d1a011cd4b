"""Mongo `admins`: `{_id, email, name, status: active|removed, password_hash, token_version,
created_at, created_by, removed_at}`. Operations reads the same documents (monitor targets).

Writes happen only through appliers (`apply_*`), called by server/services/admin_intents.py
after the change's event committed; each is idempotent and never moves a document backwards.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

ADMINS = "admins"

_PUBLIC = {"password_hash": 0}


async def by_id(db: AsyncDatabase, admin_id: str) -> dict[str, Any] | None:
    return await db[ADMINS].find_one({"_id": admin_id})


async def by_email(db: AsyncDatabase, email: str) -> dict[str, Any] | None:
    return await db[ADMINS].find_one({"email": email})


async def token_state(db: AsyncDatabase, admin_id: str) -> dict[str, Any] | None:
    return await db[ADMINS].find_one({"_id": admin_id}, {"status": 1, "token_version": 1})


async def listing(db: AsyncDatabase) -> list[dict[str, Any]]:
    return await db[ADMINS].find({}, _PUBLIC).sort([("created_at", 1), ("_id", 1)]).to_list(None)


async def count_active(db: AsyncDatabase) -> int:
    return await db[ADMINS].count_documents({"status": "active"})


async def apply_create(db: AsyncDatabase, doc: dict[str, Any]) -> None:
    try:
        await db[ADMINS].insert_one(doc)
    except DuplicateKeyError:
        pass  # applied before (the request and the settler may both apply it)


async def apply_remove(db: AsyncDatabase, payload: dict[str, Any]) -> None:
    await db[ADMINS].update_one(
        {"_id": payload["admin_id"], "status": "active"},
        {
            "$set": {"status": "removed", "removed_at": payload["at"]},
            "$inc": {"token_version": 1},  # every token of this admin stops counting
        },
    )
