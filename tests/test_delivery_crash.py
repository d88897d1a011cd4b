"""Crash: 1,000 deliveries queued, a real `classconnect serve` SIGKILLed mid-delivery and started
again: every delivery arrives once the server is back. Duplicates are counted per channel:
email has none (a batch is re-sent under its idempotency key and Brevo drops the repeat); FCM
has no such key, so a push in flight at the kill may arrive twice, and the count is printed."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from tests.delivery_helpers import add_device, enqueue, make_user, new_delivery, statuses
from tests.process import ServerProcess

EMAILS, PUSHES = 500, 500


def env_for(database_url, mongo_url, mongo_database, tmp_path: Path, brevo, fcm) -> dict:
    return {
        "DATABASE_URL": database_url,
        "MONGODB_URL": mongo_url,
        "MONGODB_DATABASE": mongo_database,
        "DATA_DIR": str(tmp_path / "data"),
        "JWT_SECRET": "crash-secret-" + "z" * 40,
        "REDIS_URL": "",
        "LOG_LEVEL": "info",
        "BREVO_API_KEY": brevo.api_key,
        "BREVO_BASE_URL": brevo.url,
        "FCM_PROJECT_ID": fcm.project_id,
        "FCM_SERVICE_ACCOUNT_FILE": str(fcm.service_account_file),
        "FCM_BASE_URL": fcm.url,
        "DELIVERY_POLL_SECONDS": "0.1",
        "DELIVERY_LEASE_SECONDS": "4",
        "DELIVERY_SEND_TIMEOUT_SECONDS": "3",
        "DELIVERY_EMAIL_BATCH_SIZE": "10",
        "DELIVERY_RETRY_BASE_SECONDS": "0.5",
        "DELIVERY_RETRY_CAP_SECONDS": "2",
        "DELIVERY_CLAIM_LIMIT": "200",
    }


async def test_sigkill_mid_delivery_loses_nothing_and_repeats_no_email(
    database_url, mongo_url, mongo_database, mongo, db, tmp_path, brevo, fcm, clean_tables
):
    brevo.latency = 0.5  # each Brevo call takes a while: the kill lands while some are open
    fcm.latency = 0.05
    now = datetime.now(UTC)  # the server runs on the system clock
    emails = [
        new_delivery(uuid.uuid4(), "email", now=now, email=f"u{i}@example.com")
        for i in range(EMAILS)
    ]
    pushes = []
    for i in range(PUSHES):
        user_id = await make_user(db, now)
        await add_device(db, user_id, f"device-{i}", seen=now)
        pushes.append(new_delivery(user_id, "push", now=now))
    ids = await enqueue(mongo, *emails, *pushes)

    env = env_for(database_url, mongo_url, mongo_database, tmp_path, brevo, fcm)
    first = ServerProcess(env, tmp_path / "first.log").start()
    await asyncio.to_thread(first.wait_ready)
    async with asyncio.timeout(120):
        while len(brevo.delivered) + len(fcm.sent) < 250:  # noqa: ASYNC110 (the fakes' state)
            await asyncio.sleep(0.02)
    assert first.proc is not None
    first.proc.send_signal(signal.SIGKILL)
    await asyncio.to_thread(first.proc.wait)
    at_kill = Counter((await statuses(mongo, ids)).values())
    assert at_kill["sent"] < len(ids), "the kill came after the work was done"

    second = ServerProcess(env, tmp_path / "second.log").start()
    try:
        await asyncio.to_thread(second.wait_ready)
        async with asyncio.timeout(180):
            while True:
                found = await statuses(mongo, ids)
                if all(s == "sent" for s in found.values()):
                    break
                await asyncio.sleep(0.2)
    finally:
        second.stop()

    per_address = Counter(d["to"] for d in brevo.delivered)
    per_token = Counter(s["message"]["token"] for s in fcm.sent)
    assert set(per_address) == {e.email for e in emails}
    assert set(per_token) == {f"device-{i}" for i in range(PUSHES)}
    email_duplicates = sum(n - 1 for n in per_address.values())
    push_duplicates = sum(n - 1 for n in per_token.values())
    print(
        f"\ncrash: at the kill {dict(at_kill)}; Brevo calls {brevo.requests} "
        f"(repeats dropped by idempotency key: {brevo.replays}); duplicates: email "
        f"{email_duplicates}, push {push_duplicates}"
    )
    assert email_duplicates == 0
    assert push_duplicates <= 16  # at most the pushes in flight (DELIVERY_CONCURRENCY)
