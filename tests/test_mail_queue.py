"""The durable email queue, through the real app's mailer (outbox-folder transport).

Nothing accepted is ever lost: an email exists only if its transaction committed, is delivered
after a crash between claim and send, and is never sent twice by competing workers.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import aiojobs
import asyncpg
import pytest

from server.domain import emails
from server.jobs.mail_transports import OutboxFileTransport
from server.jobs.mailer import Mailer
from server.keys import CLOCK, MAILER, PG_POOL
from server.pg_pool import Pool
from server.stores import mail_queue
from tests.mail import outbox_emails, read_emails


@pytest.fixture
def settings(settings):
    settings.mail_poll_seconds = 0.05  # retries and expired claims are found by polling
    return settings


async def enqueue(app, *, to="ana@example.com", template="verify_email", params=None, commit=True):
    params = params if params is not None else {"name": "Ana", "pin": "123456", "minutes_valid": 10}
    async with app[PG_POOL].acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        email_id = await mail_queue.enqueue(
            conn, to=to, template=template, params=params, now=app[CLOCK].now()
        )
        await (tx.commit() if commit else tx.rollback())
    return email_id


async def test_committed_email_is_written_to_the_outbox(client, settings, db):
    email_id = await enqueue(client.app)
    [sent] = await read_emails(settings.data_dir, to="ana@example.com", template="verify_email")
    assert sent["id"] == str(email_id)
    assert "123456" in sent["subject"] and "123456" in sent["text"] and "123456" in sent["html"]
    assert sent["params"] == {"name": "Ana", "pin": "123456", "minutes_valid": 10}
    # The file is written before the mailer commits `sent_at`: wait for that commit.
    async with asyncio.timeout(5):
        while (row := await mail_queue.find(db, email_id))["sent_at"] is None:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    assert row["sent_at"] == client.app[CLOCK].now() and row["attempts"] == 1


async def test_rolled_back_email_is_never_sent(client, settings, db):
    await enqueue(client.app, to="ghost@example.com", commit=False)
    await enqueue(client.app, to="real@example.com")
    await read_emails(settings.data_dir, to="real@example.com")
    await asyncio.sleep(0.2)  # several polls: the rolled-back one never shows up
    assert [e["to"] for e in outbox_emails(settings.data_dir)] == ["real@example.com"]
    assert await db.fetchval("SELECT count(*) FROM mail_queue") == 1


async def test_notify_wakes_the_worker_without_waiting_for_a_poll(client, settings):
    client.app[MAILER].poll_seconds = 30  # only the NOTIFY on commit can wake it in time
    await asyncio.sleep(0.1)  # let the current wait (short poll) end
    await enqueue(client.app)
    await read_emails(settings.data_dir, timeout=2.0)


async def test_unknown_template_or_missing_params_refused_at_enqueue(client, db):
    with pytest.raises(emails.UnknownTemplate):
        await enqueue(client.app, template="no_such_template", params={})
    with pytest.raises(emails.MissingTemplateParams) as err:
        await enqueue(client.app, template="password_reset", params={"name": "Ana"})
    assert err.value.details[0]["missing"] == ["minutes_valid", "token"]
    assert await db.fetchval("SELECT count(*) FROM mail_queue") == 0


async def test_emails_are_read_in_enqueue_order(client, settings):
    for pin in ("111111", "222222", "333333"):
        params = {"name": "Ana", "pin": pin, "minutes_valid": 10}
        await enqueue(client.app, params=params)
    sent = await read_emails(settings.data_dir, to="ana@example.com", count=3)
    assert [e["params"]["pin"] for e in sent] == ["111111", "222222", "333333"]
    names = sorted(p.name for p in (settings.data_dir / "outbox").iterdir())
    assert [json.loads((settings.data_dir / "outbox" / n).read_text())["seq"] for n in names] == [
        e["seq"] for e in sent
    ]


async def test_claim_of_a_crashed_worker_expires_and_the_email_is_redelivered(client, settings, db):
    app = client.app
    app[MAILER].poll_seconds = 30
    # A process claims the email and dies before sending: simulate it with its own claim.
    async with app[PG_POOL].acquire() as conn, conn.transaction():
        email_id = await mail_queue.enqueue(
            conn,
            to="crash@example.com",
            template="account_locked",
            params={"name": "Bo", "minutes": 15},
            now=app[CLOCK].now(),
        )
        claimed = await mail_queue.claim_due(
            conn, now=app[CLOCK].now(), lease=timedelta(minutes=5), worker="dead", limit=10
        )
    assert [e.id for e in claimed] == [email_id]
    app[MAILER].poll_seconds = 0.05
    await asyncio.sleep(0.3)
    assert outbox_emails(settings.data_dir) == []  # the lease still holds
    app[CLOCK].advance(timedelta(minutes=5, seconds=1))
    app[MAILER].wake()  # in case a pass ended while the poll was 30 s: it would sleep that long
    [sent] = await read_emails(settings.data_dir, to="crash@example.com")
    assert sent["id"] == str(email_id) and "15 minutes" in sent["text"]
    row = await mail_queue.find(db, email_id)
    assert row["attempts"] == 2 and row["sent_at"] is not None


async def test_two_workers_never_send_one_email_twice(client, settings, database_url, tmp_path):
    app = client.app
    total = 150
    async with app[PG_POOL].acquire() as conn, conn.transaction():
        for i in range(total):
            await mail_queue.enqueue(
                conn,
                to=f"u{i}@example.com",
                template="account_locked",
                params={"name": f"U{i}", "minutes": 15},
                now=app[CLOCK].now(),
            )
    # Two more workers (as if in other processes) compete with the app's own worker.
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    scheduler = aiojobs.Scheduler()
    others = [
        Mailer(
            pool=pool,
            dsn=database_url,
            clock=app[CLOCK],
            transport=OutboxFileTransport(tmp_path / f"worker{n}" / "outbox"),
            scheduler=scheduler,
            poll_seconds=0.02,
            batch_size=5,
        )
        for n in range(2)
    ]
    try:
        for mailer in others:
            await mailer.start()
        async with asyncio.timeout(15):
            while True:  # polling the database: there is no event to wait on
                if not await db_unsent(pool):
                    break
                await asyncio.sleep(0.05)
    finally:
        for mailer in others:
            await mailer.stop()
        await scheduler.close()
        await pool.close()
    ids = [e["id"] for e in outbox_emails(settings.data_dir)]
    for n in range(2):
        ids += [e["id"] for e in outbox_emails(tmp_path / f"worker{n}")]
    assert len(ids) == total and len(set(ids)) == total
    assert app[MAILER].sent + sum(m.sent for m in others) == total


async def db_unsent(pool: Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM mail_queue WHERE sent_at IS NULL")
