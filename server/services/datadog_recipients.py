"""The monitors' recipients follow the admins: a durable consumer of `admin.created` and
`admin.removed` that re-syncs Datadog (server/services/datadog_sync.py) after each change.

Durable rather than a job fired after the commit: a Datadog outage or a crash between the admin
change and the sync must not leave a removed admin on the pager. The sync applies the whole
configuration, so it is idempotent and one per batch covers every admin change in it; when it
fails the batch rolls back and the consumer loop retries it (with backoff), and the consumer's
lag gauge shows how long the recipients have been stale.
"""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from server.services.consumers import ConsumedEvent, Consumer, ConsumerBatch
from server.services.datadog_sync import sync_datadog
from server.settings import Settings
from server.stores.datadog_api import DatadogApi

CONSUMER_NAME = "datadog_recipients"
ADMIN_CHANGES = ("admin.created", "admin.removed")


def datadog_recipients_consumer(
    *, settings: Settings, api: DatadogApi, db: AsyncDatabase
) -> Consumer:
    async def resync() -> None:
        await sync_datadog(
            db=db,
            api=api,
            config_dir=settings.datadog_config_dir,
            extra_targets=settings.datadog_notify_extra,
        )

    async def on_admin_change(batch: ConsumerBatch, event: ConsumedEvent) -> None:
        if resync not in batch.before_commit:  # one sync per batch, after its last change
            batch.before_commit.append(resync)

    return Consumer(
        name=CONSUMER_NAME,
        handlers=dict.fromkeys(ADMIN_CHANGES, on_admin_change),
        batch_size=100,
    )
