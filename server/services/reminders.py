"""Deadline reminders: send every reminder whose time has come, each exactly once."""

from __future__ import annotations

from server.domain.clock import Clock
from server.domain.reminders import reminder_event, still_useful
from server.pg_pool import Pool
from server.stores import outbox, reminders

BATCH = 100


async def send_due_reminders(*, pool: Pool, clock: Clock) -> tuple[int, int]:
    """One batch: claim due reminders (SKIP LOCKED, so processes scanning together never pick
    the same one), record a `deadline.reminder` for each student who has not handed anything
    in, and mark the reminders sent, all in one transaction. Returns (reminders claimed,
    events recorded)."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        due = await reminders.claim_due(conn, now, BATCH)
        events = []
        for r in due:
            if not still_useful(now=now, due_at=r["due_at"]):
                continue
            for student_id in await reminders.students_without_submission(
                conn, r["course_id"], r["assignment_id"]
            ):
                events.append(
                    reminder_event(
                        student_id=student_id,
                        assignment_id=r["assignment_id"],
                        course_id=r["course_id"],
                        title=r["title"],
                        due_at=r["due_at"],
                        kind=r["kind"],
                        now=now,
                    )
                )
        await outbox.append(conn, events)
        await reminders.mark_sent(conn, [(r["assignment_id"], r["kind"]) for r in due], now)
        return len(due), len(events)
