"""The caller's language and time zone for what analytics shows them."""

from __future__ import annotations

import uuid

from pymongo.asynchronous.database import AsyncDatabase

from server.domain.display import Display, display_for
from server.stores.display_preferences import display_preferences


async def caller_display(
    mongo: AsyncDatabase, user_id: uuid.UUID, tz_override: str | None = None
) -> Display:
    return display_for(await display_preferences(mongo, user_id), tz_override)
