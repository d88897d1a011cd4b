"""Assignments, submissions, grades, uploads and the statistics built on them."""

from __future__ import annotations

from tests.assignment_helpers import assignment_body
from tests.authz.model import EDITORS, MEMBERS, STAFF, Row, no, user_route

A = "/api/v1/assignments/{assignment_id}"
S = "/api/v1/submissions/{submission_id}"
C = "/api/v1/courses/{course_id}"
# Someone else's assignment is hidden from non-members, draft or published (a 403 would say
# that it exists); course-level routes answer 403.
HIDDEN = no(404, "assignment_not_found")
STUDENT = {"student"}
WORK = {"student": no(403, "forbidden")}

TITLE = "Assignments, submissions, grades, uploads, statistics"
ROWS = [
    Row("POST", C + "/assignments", "course", user_route(EDITORS), body=assignment_body(),
        permission="edit_content"),
    Row("GET", C + "/assignments", "course", user_route(MEMBERS)),
    Row("GET", "/api/v1/users/me/activities", "nothing", user_route()),
    Row("GET", A, "assignment", user_route(MEMBERS, HIDDEN)),
    Row("PATCH", A, "assignment", user_route(EDITORS, stranger=HIDDEN),
        body={"instructions": "Answer everything, carefully."}, permission="edit_content"),
    Row("DELETE", A, "new_task", user_route(EDITORS, stranger=HIDDEN),
        permission="edit_content", fresh=True),
    Row("POST", A + "/publish", "draft", user_route(EDITORS, stranger=HIDDEN, student=HIDDEN),
        permission="edit_content", fresh=True),
    Row("POST", A + "/attempts", "new_exam", user_route(STUDENT, stranger=HIDDEN),
        permission="grade", fresh=True),
    Row("POST", A + "/submissions", "new_task", user_route(STUDENT, stranger=HIDDEN),
        body=lambda t: {"answers": t["answers"]}, permission="grade", fresh=True),
    Row("GET", A + "/submissions/me", "assignment", user_route(STUDENT, stranger=HIDDEN),
        permission="grade"),
    Row("GET", A + "/submissions", "assignment", user_route(STAFF, stranger=HIDDEN),
        permission="grade"),
    Row("GET", S, "assignment", user_route(MEMBERS, no(404, "submission_not_found")),
        permission="grade"),
    Row("PUT", S + "/grade", "assignment",
        user_route(EDITORS, stranger=no(404, "submission_not_found")),
        body={"score": 2}, permission="grade"),
    Row("POST", S + "/publish-grade", "graded_submission",
        user_route(EDITORS, stranger=no(404, "submission_not_found")),
        permission="grade", fresh=True),
    Row("POST", A + "/publish-grades", "assignment", user_route(EDITORS, stranger=HIDDEN),
        permission="grade"),
    Row("GET", C + "/stats", "course", user_route(STAFF), permission="grade"),
    Row("GET", "/api/v1/users/me/stats", "nothing", user_route()),
    Row("GET", C + "/stats/trends", "course", user_route(STAFF)),
    Row("GET", "/api/v1/users/me/stats/trends", "course", user_route(STUDENT),
        params={"course_id": "{course_id}"}),
    Row("GET", C + "/stats/at-risk", "course", user_route(STAFF)),
    Row("GET", C + "/feedback/summary", "course", user_route(STAFF)),
    Row("GET", "/api/v1/users/me/feedback/summary", "nothing", user_route()),
    Row("GET", C + "/stats/export", "course", user_route(STAFF), params={"format": "csv"}),
    Row("GET", "/api/v1/users/me/stats/export", "course", user_route(STUDENT),
        params={"course_id": "{course_id}"}),
    Row("POST", "/api/v1/uploads", "nothing", user_route(), body="UPLOAD"),
    Row("GET", "/api/v1/files/{file_id}", "assignment",
        user_route(STAFF | STUDENT, no(404, "file_not_found"))),
]  # fmt: skip
