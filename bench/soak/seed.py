"""The soak's world: teachers and students made in Postgres (as bench/realtime does: signing
hundreds up through the auth routes would measure password hashing), tokens signed with the
server's secret, an admin through `classconnect create-admin` and its login, and through REST
each teacher's course with two published assignments and every student enrolled in one."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from server.domain.tokens import issue_access_token

API = "/api/v1"
TEACHERS = 10
ADMIN_EMAIL, ADMIN_PASSWORD = "soak.admin@example.com", "soak admin password 1"
QUESTIONS = [
    {"id": "q1", "kind": "multiple_choice", "prompt": "2 + 2?", "options": ["3", "4", "5"],
     "correct": 1, "points": 2},
    {"id": "q2", "kind": "true_false", "prompt": "The sun is a star.", "correct": True,
     "points": 1},
    {"id": "q3", "kind": "text", "prompt": "Explain gravity.", "points": 3},
]  # fmt: skip


async def make_users(dsn: str, count: int, secret: str, ttl: timedelta) -> list[dict]:
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in range(count)]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.executemany(
            "INSERT INTO users (id, email, name, email_verified, created_at, updated_at) "
            "VALUES ($1, $2, $3, true, $4, $4)",
            [(i, f"{i.hex}@soak.test", f"Soak user {n}", now) for n, i in enumerate(ids)],
        )
    finally:
        await conn.close()
    return [{"id": str(i), "token": issue_access_token(secret=secret, user_id=i,
             token_version=0, now=now, ttl=ttl)} for i in ids]  # fmt: skip


def create_admin(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "server.cli", "create-admin", "--email", ADMIN_EMAIL,
         "--name", "Soak Admin", "--password-stdin"],
        input=ADMIN_PASSWORD + "\n", text=True, env={**env}, check=True, capture_output=True,
    )  # fmt: skip


async def post(session: aiohttp.ClientSession, url: str, token: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(url, json=body, headers=headers) as resp:
        if resp.status not in (200, 201):
            raise RuntimeError(f"{url}: {resp.status} {await resp.text()}")
        return await resp.json()


def course_body(n: int) -> dict:
    today = datetime.now(UTC).date()
    return {
        "title": f"Soak course {n}", "description": "A course for the soak.",
        "short_description": "Soak.", "category": "science", "level": "beginner",
        "modality": "online", "capacity": 10000,
        "starts_on": str(today + timedelta(days=10)), "ends_on": str(today + timedelta(days=60)),
        "enroll_until": str(today + timedelta(days=9)), "objectives": ["Last"],
        "syllabus": "Week 1.", "eligibility": {"prerequisite_course_ids": []},
    }  # fmt: skip


def assignment_body() -> dict:
    return {
        "kind": "task", "title": "Homework", "description": "Basics.",
        "instructions": "Answer everything.",
        "due_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(), "grace_minutes": 10,
        "late_policy": {"accept_late": False, "penalty_percent_per_day": 0},
        "max_attempts": 100, "questions": QUESTIONS, "attachments": [],
    }  # fmt: skip


async def seed(url: str, env: dict[str, str], *, clients: int, secret: str,
               minutes: float) -> tuple[dict, list[str]]:  # fmt: skip
    """(the REST mix's plan, one token per socket client: teachers first)."""
    ttl = timedelta(minutes=minutes + 60)
    people = await make_users(env["DATABASE_URL"], clients, secret, ttl)
    teachers, students = people[:TEACHERS], people[TEACHERS:]
    await asyncio.to_thread(create_admin, env)
    async with aiohttp.ClientSession() as session:
        login = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        admin = await post(session, f"{url}{API}/admin/auth/login", "", login)
        courses = []
        for n, t in enumerate(teachers):
            course = await post(session, f"{url}{API}/courses", t["token"], course_body(n))
            assignments = []
            for _ in range(2):
                path = f"{url}{API}/courses/{course['id']}/assignments"
                made = await post(session, path, t["token"], assignment_body())
                await post(session, f"{url}{API}/assignments/{made['id']}/publish", t["token"])
                assignments.append(made["id"])
            courses.append({
                "id": course["id"], "owner_token": t["token"], "assignments": assignments,
                "assignment_body": assignment_body(),
            })  # fmt: skip
        enrolled = [(s, s % len(courses)) for s in range(len(students))]
        gate = asyncio.Semaphore(8)

        async def enroll(s: int, c: int) -> None:
            async with gate:
                path = f"{url}{API}/courses/{courses[c]['id']}/enrollments"
                await post(session, path, students[s]["token"])

        await asyncio.gather(*(enroll(s, c) for s, c in enrolled))
    plan = {"url": url, "students": students, "courses": courses, "enrolled": enrolled,
            "admin_token": admin["access_token"]}  # fmt: skip
    return plan, [p["token"] for p in people]
