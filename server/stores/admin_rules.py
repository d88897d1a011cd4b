"""Mongo `rules` (the current version of each rule), `rule_versions` (every version, never
changed) and `rule_acceptances` (who accepted which version).

Writes happen only through appliers (`apply_*`) once their event committed (see
server/services/admin_intents.py): idempotent, and a rule never goes back to an older version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

RULES = "rules"
VERSIONS = "rule_versions"
ACCEPTANCES = "rule_acceptances"

VERSION_FIELDS = ("title", "description", "effective_from", "conditions")


async def by_id(db: AsyncDatabase, rule_id: str) -> dict[str, Any] | None:
    return await db[RULES].find_one({"_id": rule_id, "deleted_at": None})


async def listing(
    db: AsyncDatabase, *, in_force_at: datetime | None = None
) -> list[dict[str, Any]]:
    query: dict[str, Any] = {"deleted_at": None}
    if in_force_at is not None:
        query["effective_from"] = {"$lte": in_force_at}
    return await db[RULES].find(query).sort([("effective_from", 1), ("_id", 1)]).to_list(None)


async def versions(db: AsyncDatabase, rule_id: str) -> list[dict[str, Any]]:
    return await db[VERSIONS].find({"rule_id": rule_id}).sort("version", 1).to_list(None)


async def acceptance_counts(db: AsyncDatabase, rule_ids: list[str]) -> dict[tuple[str, int], int]:
    """(rule id, version) -> how many users accepted that version."""
    pipeline = [
        {"$match": {"rule_id": {"$in": rule_ids}}},
        {"$group": {"_id": {"rule_id": "$rule_id", "version": "$version"}, "n": {"$sum": 1}}},
    ]
    cursor = await db[ACCEPTANCES].aggregate(pipeline)
    return {(r["_id"]["rule_id"], r["_id"]["version"]): r["n"] async for r in cursor}


async def accepted_by(db: AsyncDatabase, user_id: str) -> dict[str, int]:
    """rule id -> the newest version this user accepted."""
    found: dict[str, int] = {}
    async for doc in db[ACCEPTANCES].find({"user_id": user_id}, {"rule_id": 1, "version": 1}):
        found[doc["rule_id"]] = max(found.get(doc["rule_id"], 0), doc["version"])
    return found


async def apply_put(db: AsyncDatabase, doc: dict[str, Any]) -> None:
    """Make `doc` (a whole rule at its new version) current, unless a newer one already is."""
    rule_id, version = doc["_id"], doc["version"]
    snapshot = {f: doc[f] for f in VERSION_FIELDS}
    try:
        await db[VERSIONS].insert_one(
            {
                "_id": f"{rule_id}:{version}",
                "rule_id": rule_id,
                "version": version,
                **snapshot,
                "created_at": doc["updated_at"],
                "created_by": doc["updated_by"],
            }
        )
    except DuplicateKeyError:
        pass
    if version == 1:
        try:
            await db[RULES].insert_one(doc)
        except DuplicateKeyError:
            pass
        return
    await db[RULES].update_one(
        {"_id": rule_id, "version": {"$lt": version}},
        {"$set": {k: v for k, v in doc.items() if k != "_id"}},
    )


async def apply_delete(db: AsyncDatabase, payload: dict[str, Any]) -> None:
    await db[RULES].update_one(
        {"_id": payload["rule_id"], "deleted_at": None},
        {"$set": {"deleted_at": payload["at"], "deleted_by": payload["by"]}},
    )


async def apply_accept(db: AsyncDatabase, payload: dict[str, Any]) -> None:
    try:
        await db[ACCEPTANCES].insert_one(
            {"_id": f"{payload['rule_id']}:{payload['version']}:{payload['user_id']}", **payload}
        )
    except DuplicateKeyError:
        pass
