"""A user's language and time zone, read from their notification preferences (Mongo).

The notifications feature owns the collection (`{_id: "<user uuid>", locale, timezone, ...}`);
analytics only reads these two fields. A user without a document gets the defaults
(`server.domain.display`).
"""

from __future__ import annotations

import uuid
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

PREFERENCES = "notification_preferences"


async def display_preferences(db: AsyncDatabase, user_id: uuid.UUID) -> dict[str, Any] | None:
    return await db[PREFERENCES].find_one(
        {"_id": str(user_id)}, {"_id": 0, "locale": 1, "timezone": 1}
    )
