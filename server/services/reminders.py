"""Deadline reminders: send every reminder whose time has come, each exactly once."""

from __future__ import annotations

from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.reminders import reminder_event, still_useful
from server.pg_pool import Pool
from server.services.unit_of_work import unit_of_work
from server.stores import reminders

BATCH = 100


async def send_due_reminders(
    *, pool: Pool, clock: Clock, context: RequestContext
) -> tuple[int, int]:
    """One batch: claim due reminders (SKIP LOCKED, so processes scanning together never pick
    the same one), record a `deadline.reminder` for each student who has not handed anything
    in, and mark the reminders sent, all in one transaction. Returns (reminders claimed,
    events recorded)."""
    async with unit_of_work(pool=pool, clock=clock, context=context) as uow:
        conn, now = uow.conn, uow.now
        due = await reminders.claim_due(conn, now, BATCH)
        if not due:
            uow.unchanged()  # the common case: a poll with nothing to send
            return 0, 0
        events = []
        for r in due:
            students = []
            if still_useful(now=now, due_at=r["due_at"]):
                students = await reminders.students_without_submission(
                    conn, r["course_id"], r["assignment_id"]
                )
            uow.audit(
                "reminder.send",
                target=("reminder", f"{r['assignment_id']}:{r['kind']}"),
                changes={"sent_at": [None, now.isoformat()], "recipients": [None, len(students)]},
            )
            for student_id in students:
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
        uow.record(*events)
        await reminders.mark_sent(conn, [(r["assignment_id"], r["kind"]) for r in due], now)
        return len(due), len(events)
