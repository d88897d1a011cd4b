"""Who may do what with assignments, submissions, grades and files: one function per rule.

Built on the course rules (`server.domain.course_access`): editing assignments needs the
edit_content permission, grading the grade permission; any staff member may read work.
"""

from __future__ import annotations

from server.domain import course_access as access
from server.domain.course_access import Membership
from server.domain.errors import NotFound

can_manage_assignment = access.can_edit_content  # create, change, publish, delete
can_grade = access.can_grade  # draft grades and publishing them
can_read_work = access.is_staff  # every submission, counts, statistics
can_submit = access.is_student
require_result_open = access.require_result_open  # no more work once the result is final


def assignment_not_found() -> NotFound:
    return NotFound("No such assignment.", code="assignment_not_found")


def require_visible_assignment(m: Membership | None, *, published: bool) -> None:
    """A draft exists only for the staff; a published one for the course's members. Everyone
    else gets the same 404 for both, or the answer would tell them which drafts exist."""
    if access.is_staff(m):
        return
    if not published or not access.is_student(m):
        raise assignment_not_found()


def require(rule: access.Rule, m: Membership | None, action: str) -> None:
    access.require(rule, m, action)


def can_read_submission(m: Membership | None, *, own: bool) -> bool:
    """Only the student who handed it in and the course's staff."""
    return own or can_read_work(m)


def can_read_file(
    m: Membership | None, *, uploader: bool, attached_to_published_assignment: bool
) -> bool:
    """The uploader and the staff of the file's course; the course's students too when the
    file is an attachment of a published assignment (course material, not someone's work)."""
    if uploader or can_read_work(m):
        return True
    return attached_to_published_assignment and access.is_student(m)
