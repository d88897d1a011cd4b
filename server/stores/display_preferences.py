"""A user's language and time zone, read from their notification preferences (Mongo).

The notifications feature owns the collection (`server/stores/notification_preferences.py`);
analytics reads only these two fields, and without validating the whole document, so a
preference it does not know about never breaks a report. A user without a document gets the
defaults (`server.domain.display`).
"""

from __future__ import annotations

import uuid
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from server.stores.notification_preferences import PREFERENCES


async def display_preferences(db: AsyncDatabase, user_id: uuid.UUID) -> dict[str, Any] | None:
    return await db[PREFERENCES].find_one(
        {"_id": str(user_id)}, {"_id": 0, "locale": 1, "timezone": 1}
    )
