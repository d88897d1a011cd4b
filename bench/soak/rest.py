"""The soak's REST mix, paced: catalog reads, enrolments, submissions, grading, notifications,
the forum and admin reads, at `rate` requests a second for `seconds`, as the users the plan
file names. Prints one JSON line: every request's (second, kind, status, latency).

    python -m bench.soak.rest --plan F --seconds 600 --rate 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import uvloop

API = "/api/v1"
ANSWERS = [{"question_id": "q1", "choice": 1}, {"question_id": "q2", "choice": True},
           {"question_id": "q3", "text": "Mass attracts mass."}]  # fmt: skip


class Mix:
    def __init__(self, plan: dict[str, Any], session: aiohttp.ClientSession) -> None:
        self.url, self.session = plan["url"], session
        self.students: list[dict] = plan["students"]  # {id, token}
        self.courses: list[dict] = plan["courses"]  # {id, owner_token, assignments: [id]}
        self.admin = plan["admin_token"]
        self.rng = random.Random(16)
        self.to_enroll = [(s, c) for s in range(len(self.students))
                          for c in range(len(self.courses))]  # fmt: skip
        self.rng.shuffle(self.to_enroll)
        self.enrolled: list[tuple[int, int]] = [tuple(p) for p in plan["enrolled"]]
        self.to_grade: list[tuple[int, str]] = []  # (course, submission id)
        self.threads: list[tuple[int, str]] = []  # (course, thread id)
        self.samples: list[tuple[float, str, int, float]] = []
        self.t0 = time.monotonic()

    async def call(self, kind: str, method: str, path: str, token: str, body: Any = None) -> Any:
        started = time.monotonic()
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with self.session.request(
                method, self.url + path, json=body, headers=headers
            ) as resp:
                data = await resp.read()
                status = resp.status
        except aiohttp.ClientError:
            status, data = 599, b""  # no answer at all counts as a server failure
        self.samples.append((started - self.t0, kind, status, time.monotonic() - started))
        if status in (200, 201) and data[:1] == b"{":
            return json.loads(data)
        return None

    def student(self, i: int) -> str:
        return self.students[i]["token"]

    async def catalog(self) -> None:
        s = self.rng.randrange(len(self.students))
        await self.call("catalog", "GET", f"{API}/courses?q=Soak&limit=20", self.student(s))
        course = self.rng.choice(self.courses)
        await self.call("catalog", "GET", f"{API}/courses/{course['id']}", self.student(s))

    async def enroll(self) -> None:
        if not self.to_enroll:
            return await self.catalog()
        s, c = self.to_enroll.pop()
        if (s, c) in self.enrolled:
            return None
        path = f"{API}/courses/{self.courses[c]['id']}/enrollments"
        if await self.call("enroll", "POST", path, self.student(s)) is not None:
            self.enrolled.append((s, c))
        return None

    async def submit(self) -> None:
        s, c = self.rng.choice(self.enrolled)
        assignment = self.rng.choice(self.courses[c]["assignments"])
        path = f"{API}/assignments/{assignment}/submissions"
        made = await self.call("submit", "POST", path, self.student(s), {"answers": ANSWERS})
        if made is not None:
            self.to_grade.append((c, made["id"]))

    async def grade(self) -> None:
        if not self.to_grade:
            return await self.submit()
        c, submission = self.to_grade.pop(0)
        owner = self.courses[c]["owner_token"]
        body = {"feedback": "Well done.", "question_scores": {"q3": 2}}
        if await self.call("grade", "PUT", f"{API}/submissions/{submission}/grade", owner, body):
            await self.call("grade", "POST", f"{API}/submissions/{submission}/publish-grade", owner)
        return None

    async def notifications(self) -> None:
        token = self.student(self.rng.randrange(len(self.students)))
        await self.call("notifications", "GET", f"{API}/notifications?limit=20", token)
        await self.call("notifications", "GET", f"{API}/notifications/unread-count", token)
        if self.rng.random() < 0.2:
            await self.call("notifications", "POST", f"{API}/notifications/read-all", token, {})

    async def forum(self) -> None:
        s, c = self.rng.choice(self.enrolled)
        course = self.courses[c]
        roll = self.rng.random()
        if roll < 0.3 or not self.threads:
            body = {"title": f"Question {len(self.threads)}", "body": "How does it work?"}
            path = f"{API}/courses/{course['id']}/forum/threads"
            made = await self.call("forum", "POST", path, self.student(s), body)
            if made is not None:
                self.threads.append((c, made["id"]))
        elif roll < 0.6:
            tc, thread = self.rng.choice(self.threads)
            path = f"{API}/forum/threads/{thread}/answers"
            body = {"body": "Like this."}
            await self.call("forum", "POST", path, self.courses[tc]["owner_token"], body)
        else:
            path = f"{API}/courses/{course['id']}/forum/threads?limit=20"
            await self.call("forum", "GET", path, self.student(s))

    async def admin_reads(self) -> None:
        path = self.rng.choice(["/admin/users?limit=20", "/admin/audit?limit=20",
                                "/admin/metrics", "/admin/deliveries?limit=20"])  # fmt: skip
        await self.call("admin", "GET", API + path, self.admin)

    def pick(self) -> Callable[[], Awaitable[None]]:
        ops = [(self.catalog, 20), (self.enroll, 10), (self.submit, 15), (self.grade, 10),
               (self.notifications, 15), (self.forum, 15), (self.admin_reads, 15)]  # fmt: skip
        return self.rng.choices([o for o, _ in ops], weights=[w for _, w in ops])[0]


async def main(args: argparse.Namespace, plan: dict[str, Any]) -> None:
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        mix = Mix(plan, session)
        loop = asyncio.get_running_loop()
        start, running = loop.time(), set()
        for i in range(int(args.rate * args.seconds)):
            await asyncio.sleep(max(0.0, start + i / args.rate - loop.time()))
            task = asyncio.create_task(mix.pick()())
            running.add(task)
            task.add_done_callback(running.discard)
        await asyncio.wait_for(asyncio.gather(*running, return_exceptions=True), 120)
    print(json.dumps({"samples": mix.samples}), flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--plan", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--rate", type=float, default=20.0, help="operations a second")
    p.add_argument("--concurrency", type=int, default=32)
    args = p.parse_args()
    with open(args.plan) as f:
        plan = json.load(f)
    os.unlink(args.plan)
    uvloop.run(main(args, plan))
    sys.exit(0)
