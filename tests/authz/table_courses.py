"""Courses, enrolment, assistants, content and course feedback."""

from __future__ import annotations

from tests.authz.model import EDITORS, MEMBERS, STAFF, Row, no, user_route
from tests.course_helpers import course_body

C = "/api/v1/courses/{course_id}"
OWNER = {"owner"}
STUDENT = {"student"}
LINK = {"kind": "link", "title": "Reading", "url": "https://example.org/reading"}

TITLE = "Courses, enrolment, assistants, content, course feedback"
ROWS = [
    Row("POST", "/api/v1/courses", "nothing", user_route(), body=course_body()),
    Row("GET", "/api/v1/courses", "nothing", user_route()),
    Row("GET", C, "course", user_route()),
    Row("PATCH", C, "course", user_route(EDITORS), body={"syllabus": "Week 1."},
        permission="edit_content"),
    Row("DELETE", C, "new_course", user_route(OWNER), fresh=True),
    Row("GET", "/api/v1/users/me/courses", "nothing", user_route()),
    Row("PUT", C + "/favorite", "course", user_route()),
    Row("DELETE", C + "/favorite", "course", user_route()),
    Row("GET", "/api/v1/users/me/favorites", "nothing", user_route()),
    Row("POST", C + "/enrollments", "new_course",
        user_route({"stranger"}, no(409, "already_enrolled")), fresh=True),
    Row("DELETE", C + "/enrollments/me", "new_course",
        user_route(STUDENT, no(404, "not_enrolled")), fresh=True),
    Row("GET", C + "/members", "course", user_route(MEMBERS)),
    Row("PATCH", C + "/members/{user_id}", "new_course", user_route(EDITORS),
        body={"status": "approved"}, permission="grade", fresh=True),
    Row("PUT", C + "/assistants/{user_id}", "stranger_in_new_course", user_route(OWNER),
        body={"permissions": {"grade": True}}, fresh=True),
    Row("DELETE", C + "/assistants/{user_id}", "assistant_in_new_course", user_route(OWNER),
        fresh=True),
    Row("GET", C + "/activity", "course", user_route(OWNER)),
    Row("GET", C + "/modules", "course", user_route(MEMBERS)),
    Row("POST", C + "/modules", "course", user_route(EDITORS), body={"title": "Week 2"},
        permission="edit_content"),
    Row("PATCH", "/api/v1/modules/{module_id}", "module", user_route(EDITORS),
        body={"title": "Week one"}, permission="edit_content"),
    Row("DELETE", "/api/v1/modules/{module_id}", "module", user_route(EDITORS),
        permission="edit_content", fresh=True),
    Row("PUT", C + "/modules/order", "module", user_route(EDITORS),
        body=lambda t: {"ids": t["module_ids"]}, permission="edit_content", fresh=True),
    Row("POST", "/api/v1/modules/{module_id}/resources", "module", user_route(EDITORS),
        body=LINK, permission="edit_content"),
    Row("PATCH", "/api/v1/resources/{resource_id}", "module", user_route(EDITORS),
        body={"title": "Notes, updated"}, permission="edit_content"),
    Row("DELETE", "/api/v1/resources/{resource_id}", "module", user_route(EDITORS),
        permission="edit_content", fresh=True),
    Row("PUT", "/api/v1/modules/{module_id}/resources/order", "module", user_route(EDITORS),
        body=lambda t: {"ids": [t["resource_id"]]}, permission="edit_content", fresh=True),
    Row("GET", "/api/v1/resources/{resource_id}/file", "file_resource", user_route(MEMBERS)),
    Row("POST", C + "/feedback", "new_course", user_route(STUDENT), body={"rating": 4},
        fresh=True),
    Row("GET", C + "/feedback", "course", user_route(STAFF)),
    Row("POST", C + "/students/{user_id}/feedback", "new_course", user_route(EDITORS),
        body={"rating": 4}, permission="grade", fresh=True),
    Row("GET", "/api/v1/users/me/feedback", "nothing", user_route()),
]  # fmt: skip
