"""What each row of the table acts on. A target is a method of `Targets` named after it (its
docstring is the target's description in docs/authorization.md); it returns the path parameters
and whatever the row's body needs. Targets are made through the real routes and kept for the
rows that only read them; a row marked `fresh` gets a new one for every call that was served."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp

from tests.assignment_helpers import (
    PDF,
    assignment_body,
    auto_questions,
    publish,
    right_answers,
    submit,
    upload,
)
from tests.authz.world import People, new_course, ok
from tests.course_helpers import API
from tests.forum_helpers import answer, ask

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
Target = dict[str, Any]


class Targets:
    def __init__(self, client, users, people: People, course_id: str) -> None:
        self.client = client
        self.users = users
        self.p = people
        self.course_id = course_id
        self.owner = people.owner.headers

    async def post(self, path: str, body: Any = None, who: Any = None, **kw: Any) -> Any:
        headers = (who or self.p.owner).headers
        return await ok(await self.client.post(API + path, json=body, headers=headers, **kw))

    # -- no object -------------------------------------------------------------------------
    async def nothing(self) -> Target:
        """Nothing in particular (the caller's own data, a listing, or a public resource)."""
        return {}

    async def docs_asset(self) -> Target:
        """A file of the API documentation."""
        return {"asset": "swagger-ui.css"}

    async def console_asset(self) -> Target:
        """A file of the admin console."""
        return {"asset": "console.css"}

    async def photo(self) -> Target:
        """The student's profile picture (local storage)."""
        resp = await self.client.put(
            f"{API}/users/me/photo",
            data=PNG,
            headers={**self.p.student.headers, "Content-Type": "image/png"},
        )
        path = urlsplit((await ok(resp))["photo_url"]).path.removeprefix("/files/local/")
        bucket, _, key = path.partition("/")
        return {"bucket": bucket, "key": unquote(key)}

    # -- courses ---------------------------------------------------------------------------
    async def course(self) -> Target:
        """The course (the owner's; the student enrolled; the assistants in place)."""
        return {"course_id": self.course_id, "user_id": str(self.p.student.id)}

    async def new_course(self) -> Target:
        """A new course of the owner's, cast like the course (the student as `user_id`)."""
        course_id = await new_course(self.client, self.p)
        return {"course_id": course_id, "user_id": str(self.p.student.id)}

    async def stranger_in_new_course(self) -> Target:
        """A new course, cast like the course; the stranger as `user_id`."""
        course_id = await new_course(self.client, self.p)
        return {"course_id": course_id, "user_id": str(self.p.stranger.id)}

    async def assistant_in_new_course(self) -> Target:
        """A new course, cast like the course; the assistant with no permission as `user_id`."""
        course_id = await new_course(self.client, self.p)
        return {"course_id": course_id, "user_id": str(self.p.assistants["without", None].id)}

    async def module(self) -> Target:
        """A new module of the course, with one link resource."""
        module = await self.post(f"/courses/{self.course_id}/modules", {"title": "Week 1"})
        link = {"kind": "link", "title": "Notes", "url": "https://example.org/notes"}
        resource = await self.post(f"/modules/{module['id']}/resources", link)
        listing = await ok(
            await self.client.get(f"{API}/courses/{self.course_id}/modules", headers=self.owner)
        )
        return {
            "course_id": self.course_id,
            "module_id": module["id"],
            "resource_id": resource["id"],
            "module_ids": [m["id"] for m in listing["items"]],
        }

    async def file_resource(self) -> Target:
        """A file resource (a PDF) in a new module of the course."""
        module = await self.post(f"/courses/{self.course_id}/modules", {"title": "Files"})
        form = aiohttp.FormData()
        form.add_field("title", "Slides")
        form.add_field("file", PDF, filename="slides.pdf", content_type=PDF_TYPE)
        resp = await self.client.post(
            f"{API}/modules/{module['id']}/resources", data=form, headers=self.owner
        )
        return {"resource_id": (await ok(resp, 201))["id"]}

    # -- assignments and work --------------------------------------------------------------
    async def assignment(self) -> Target:
        """A published task of the course (file, choice and text questions); the student
        handed in work with a file."""
        if "assignment" not in self.p.extra:
            questions = [
                *auto_questions(),
                {"id": "f1", "kind": "file", "prompt": "Essay", "points": 2},
            ]
            created = await self.post(
                f"/courses/{self.course_id}/assignments",
                assignment_body(questions=questions, max_attempts=50),
            )
            published = await publish(self.client, self.p.owner, created["id"])
            up = await ok(await upload(self.client, self.p.student, PDF, "e.pdf", PDF_TYPE))
            answers = [*right_answers()[:2], {"question_id": "f1", "file_id": up["file_id"]}]
            resp = await submit(self.client, self.p.student, published["id"], answers=answers)
            self.p.extra["assignment"] = {
                "assignment_id": published["id"],
                "submission_id": (await ok(resp, 201))["id"],
                "file_id": up["file_id"],
                "course_id": self.course_id,
            }
        return self.p.extra["assignment"]

    async def draft(self) -> Target:
        """A new draft task of the course."""
        created = await self.post(f"/courses/{self.course_id}/assignments", assignment_body())
        return {"assignment_id": created["id"]}

    async def new_task(self) -> Target:
        """A new published task of the course (choice questions)."""
        body = assignment_body(questions=auto_questions())
        created = await self.post(f"/courses/{self.course_id}/assignments", body)
        await publish(self.client, self.p.owner, created["id"])
        return {"assignment_id": created["id"], "answers": right_answers()[:2]}

    async def new_exam(self) -> Target:
        """A new published exam of the course (30 minutes)."""
        body = assignment_body(kind="exam", time_limit_minutes=30)
        created = await self.post(f"/courses/{self.course_id}/assignments", body)
        await publish(self.client, self.p.owner, created["id"])
        return {"assignment_id": created["id"]}

    async def graded_submission(self) -> Target:
        """The student's submission to a new task, graded by the owner, grade unpublished."""
        task = await self.new_task()
        resp = await submit(self.client, self.p.student, task["assignment_id"], task["answers"])
        submission_id = (await ok(resp, 201))["id"]
        await ok(
            await self.client.put(
                f"{API}/submissions/{submission_id}/grade", json={"score": 2}, headers=self.owner
            )
        )
        return {"submission_id": submission_id, "assignment_id": task["assignment_id"]}

    # -- forum -----------------------------------------------------------------------------
    async def thread(self) -> Target:
        """A new thread of the classmate's in the course, with an answer of the classmate's
        that the owner endorsed."""
        thread = await ask(self.client, self.p.classmate, self.course_id)
        reply = await answer(self.client, self.p.classmate, thread["id"])
        await self.post(f"/forum/answers/{reply['id']}/endorse")
        return {"course_id": self.course_id, "thread_id": thread["id"], "answer_id": reply["id"]}

    # -- the student's own things ----------------------------------------------------------
    async def notification(self) -> Target:
        """One of the student's notifications."""
        items = self.p.extra["notifications"]
        return {"notification_id": items.pop()}

    async def device(self) -> Target:
        """One of the student's push devices."""
        token = f"device-{len(self.p.extra.setdefault('devices', []))}"
        body = {"token": token, "platform": "android"}
        await self.post("/users/me/devices", body, who=self.p.student)
        self.p.extra["devices"].append(token)
        return {"token": token}

    async def student(self) -> Target:
        """The student (as `user_id`)."""
        return {"user_id": str(self.p.student.id)}

    # -- administration --------------------------------------------------------------------
    async def other_admin(self) -> Target:
        """Another admin, new."""
        body = {"email": f"admin-{uuid.uuid4().hex[:8]}@example.com",
                "name": "Other Admin", "password": "correct horse battery"}  # fmt: skip
        resp = await self.client.post(
            f"{API}/admin/admins", json=body, headers=self.p.admin.headers
        )
        return {"admin_id": (await ok(resp, 201))["id"]}

    async def new_user(self) -> Target:
        """A new active user, as `user_id`."""
        return {"user_id": str((await self.users.create("Nico New")).id)}

    async def new_blocked_user(self) -> Target:
        """A new user an admin blocked, as `user_id`."""
        user_id = (await self.new_user())["user_id"]
        await self.post(f"/admin/users/{user_id}/block", {"reason": "spam"}, who=self.p.admin)
        return {"user_id": user_id}

    async def rule(self) -> Target:
        """A new platform rule (version 1)."""
        body = {"title": "Conduct", "description": "Be kind.",
                "effective_from": "2026-02-01T00:00:00Z"}  # fmt: skip
        resp = await self.client.post(f"{API}/admin/rules", json=body, headers=self.p.admin.headers)
        return {"rule_id": (await ok(resp, 201))["id"]}


PDF_TYPE = "application/pdf"
