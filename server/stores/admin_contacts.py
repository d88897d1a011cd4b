"""Who the admins are, for the notifications sent to them (Datadog monitors).

The `admins` collection holds `{_id, email, name, status: "active" | "removed", ...}`; the admin
use cases own it. Only active admins are contacted.
"""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

ADMINS = "admins"


async def active_admin_emails(db: AsyncDatabase) -> list[str]:
    """Every active admin's email, lower-cased, each once, sorted."""
    cursor = db[ADMINS].find({"status": "active"}, {"email": 1, "_id": 0})
    emails = {doc["email"].strip().lower() async for doc in cursor if doc.get("email")}
    return sorted(emails)
