"""The Brevo path end to end: the real app's mailer, brevo-python's AsyncBrevo, and a local
server speaking Brevo's `POST /v3/smtp/email`. An outage delays mail but never loses it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiojobs
import asyncpg
import pytest
from pydantic import SecretStr

from server.jobs.mail_transports import BrevoTransport, OutgoingEmail, PermanentFailure
from server.jobs.mailer import Mailer
from server.keys import CLOCK, MAILER, PG_POOL
from server.stores import mail_queue
from tests.fakes.brevo import FakeBrevo


@pytest.fixture
def settings(settings, brevo: FakeBrevo):
    settings.brevo_api_key = SecretStr(brevo.api_key)
    settings.brevo_base_url = brevo.url
    settings.mail_poll_seconds = 0.05
    return settings


async def enqueue(app, to: str = "ana@example.com") -> object:
    async with app[PG_POOL].acquire() as conn, conn.transaction():
        return await mail_queue.enqueue(
            conn,
            to=to,
            template="password_reset",
            params={"name": "Ana", "token": "tok-abc-123", "minutes_valid": 30},
            now=app[CLOCK].now(),
        )


async def wait_for(predicate, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 (state lives in the fake server)
            await asyncio.sleep(0.02)


async def test_sends_through_brevo_with_the_real_client(client, brevo, settings, db):
    email_id = await enqueue(client.app)
    await wait_for(lambda: brevo.accepted)
    [message] = brevo.accepted
    assert message["to"] == [{"email": "ana@example.com"}]
    assert message["sender"] == {
        "email": settings.email_sender_address,
        "name": settings.email_sender_name,
    }
    assert message["subject"] == "Reset your ClassConnect password"
    assert "tok-abc-123" in message["textContent"] and "tok-abc-123" in message["htmlContent"]
    assert message["headers"] == {"idempotencyKey": str(email_id)}
    await wait_for(lambda: client.app[MAILER].sent == 1)
    row = await mail_queue.find(db, email_id)
    assert row["provider_id"] == message["messageId"] and row["sent_at"] is not None
    assert not (settings.data_dir / "outbox").exists()


async def test_provider_outage_is_retried_with_backoff_and_delivered_once(client, brevo, db):
    app = client.app
    brevo.fail_next(500, 503)
    email_id = await enqueue(app)
    await wait_for(lambda: brevo.requests == 1)
    await asyncio.sleep(0.2)  # several polls: the retry is not due yet
    row = await mail_queue.find(db, email_id)
    assert brevo.requests == 1 and row["sent_at"] is None and row["attempts"] == 1
    assert "503" in row["last_error"] or "500" in row["last_error"]
    assert row["next_attempt_at"] == app[CLOCK].now() + timedelta(seconds=30)

    app[CLOCK].advance(timedelta(seconds=30))
    await wait_for(lambda: brevo.requests == 2)
    await asyncio.sleep(0.1)
    row = await mail_queue.find(db, email_id)
    assert row["attempts"] == 2 and row["next_attempt_at"] == app[CLOCK].now() + timedelta(
        seconds=60
    )

    app[CLOCK].advance(timedelta(seconds=60))
    await wait_for(lambda: len(brevo.accepted) == 1)
    await asyncio.sleep(0.2)
    assert brevo.requests == 3 and len(brevo.accepted) == 1
    row = await mail_queue.find(db, email_id)
    assert row["sent_at"] is not None and row["last_error"] is None


async def test_wrong_api_key_is_an_outage_not_a_loss(client, brevo, db):
    brevo.api_key = "another-key"  # e.g. a rotated key: keep the mail until it is fixed
    email_id = await enqueue(client.app)
    await wait_for(lambda: brevo.requests == 1)
    await asyncio.sleep(0.1)
    row = await mail_queue.find(db, email_id)
    assert row["sent_at"] is None and row["failed_at"] is None and "401" in row["last_error"]


async def test_a_hanging_provider_times_out_and_is_retried(brevo, database_url, settings, clock):
    brevo.fail_next("hang")
    brevo.hang_seconds = 1.0
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    scheduler = aiojobs.Scheduler()
    transport = BrevoTransport(
        api_key=brevo.api_key,
        base_url=brevo.url,
        sender_address="no-reply@example.com",
        sender_name="Test",
        timeout=0.3,
    )
    mailer = Mailer(
        pool=pool,
        dsn=database_url,
        clock=clock,
        transport=transport,
        scheduler=scheduler,
        poll_seconds=0.05,
        retry_base=timedelta(seconds=10),
    )
    try:
        async with pool.acquire() as conn, conn.transaction():
            email_id = await mail_queue.enqueue(
                conn,
                to="bo@example.com",
                template="account_locked",
                params={"name": "Bo", "minutes": 15},
                now=clock.now(),
            )
        await mailer.start()
        async with asyncio.timeout(5):
            while True:  # polling the database: there is no event to wait on
                row = await pool.fetchrow("SELECT * FROM mail_queue WHERE id = $1", email_id)
                if row["last_error"] is not None:
                    break
                await asyncio.sleep(0.02)
        assert "Timeout" in row["last_error"] and row["sent_at"] is None
        clock.advance(timedelta(seconds=10))
        await wait_for(lambda: len(brevo.accepted) == 1)
    finally:
        await mailer.stop()
        await scheduler.close()
        await transport.close()
        await pool.close()
    assert [m["to"] for m in brevo.accepted] == [[{"email": "bo@example.com"}]]


async def test_brevo_refusing_the_message_is_permanent(brevo):
    transport = BrevoTransport(
        api_key=brevo.api_key,
        base_url=brevo.url,
        sender_address="no-reply@example.com",
        sender_name="Test",
    )
    bad = OutgoingEmail(
        id="x", seq=1, to="not-an-address", subject="s", text="t", html="<p>t</p>", template="t"
    )
    try:
        with pytest.raises(PermanentFailure, match="email is not valid"):
            await transport.send(bad)
    finally:
        await transport.close()
    assert brevo.accepted == []
