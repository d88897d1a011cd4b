"""Who may do what in a course: one function per rule, and nowhere else.

A caller's standing in a course is a `Membership` (or None for a non-member). The `can_*`
predicates answer a question; `require(...)` turns a refusal into `PermissionDenied`.
Assistants act only within the permissions the owner gave them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from server.domain.errors import Conflict, NotFound, PermissionDenied


class CourseRole(StrEnum):
    owner = "owner"
    assistant = "assistant"
    student = "student"


class MemberStatus(StrEnum):
    active = "active"
    approved = "approved"
    failed = "failed"
    removed = "removed"


@dataclass(frozen=True)
class AssistantPermissions:
    edit_content: bool = False
    grade: bool = False
    communicate: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> AssistantPermissions:
        data = data or {}
        return cls(
            edit_content=bool(data.get("edit_content", False)),
            grade=bool(data.get("grade", False)),
            communicate=bool(data.get("communicate", False)),
        )

    def as_dict(self) -> dict[str, bool]:
        return {
            "edit_content": self.edit_content,
            "grade": self.grade,
            "communicate": self.communicate,
        }


@dataclass(frozen=True)
class Membership:
    role: CourseRole
    status: MemberStatus
    permissions: AssistantPermissions = AssistantPermissions()

    @classmethod
    def of(cls, record: Mapping[str, Any] | None) -> Membership | None:
        """From a row with role, status, permissions (e.g. `stores.memberships.membership`)."""
        if record is None:
            return None
        perms = record["permissions"]
        if isinstance(perms, str):  # jsonb without a codec arrives as text
            import json

            perms = json.loads(perms)
        return cls(
            CourseRole(record["role"]),
            MemberStatus(record["status"]),
            AssistantPermissions.from_mapping(perms),
        )


Rule = Callable[[Membership | None], bool]


def is_member(m: Membership | None) -> bool:
    return m is not None and m.status is not MemberStatus.removed


def is_owner(m: Membership | None) -> bool:
    return is_member(m) and m.role is CourseRole.owner  # type: ignore[union-attr]


def is_assistant(m: Membership | None) -> bool:
    return is_member(m) and m.role is CourseRole.assistant  # type: ignore[union-attr]


def is_student(m: Membership | None) -> bool:
    return is_member(m) and m.role is CourseRole.student  # type: ignore[union-attr]


def is_staff(m: Membership | None) -> bool:
    return is_owner(m) or is_assistant(m)


def can_edit_content(m: Membership | None) -> bool:
    """Course details, modules, resources, assignments."""
    return is_owner(m) or (is_assistant(m) and m.permissions.edit_content)  # type: ignore[union-attr]


def can_grade(m: Membership | None) -> bool:
    """Grades, student status (approved/failed/removed), feedback to students."""
    return is_owner(m) or (is_assistant(m) and m.permissions.grade)  # type: ignore[union-attr]


def can_communicate(m: Membership | None) -> bool:
    """Announcements and messages to the course."""
    return is_owner(m) or (is_assistant(m) and m.permissions.communicate)  # type: ignore[union-attr]


# The remaining rules are named so each route states which one it applies.
can_read_content = is_member  # modules, resources, files
can_see_member_list = is_staff  # students see only the staff and a count
can_read_course_feedback = is_staff
can_set_member_status = can_grade
can_give_student_feedback = can_grade
can_delete_course = is_owner
can_manage_assistants = is_owner
can_view_activity = is_owner
can_rate_course = is_student


def can_enroll(m: Membership | None) -> bool:
    """Anyone not already in the course; removal by the staff is final."""
    return m is None


FINAL_RESULTS = frozenset({MemberStatus.approved, MemberStatus.failed})


def has_final_result(m: Membership | None) -> bool:
    """A student the staff marked approved or failed: the course is over for them."""
    return is_student(m) and m.status in FINAL_RESULTS  # type: ignore[union-attr]


def require_result_open(m: Membership | None, action: str) -> None:
    """Work and ratings change a result; once it is final they are refused (what the student
    did before stays readable)."""
    if has_final_result(m):
        raise Conflict(
            f"Your result in this course is final; you can no longer {action}.",
            code="result_final",
            details=[{"status": m.status.value}],  # type: ignore[union-attr]
        )


def require(rule: Rule, m: Membership | None, action: str) -> None:
    if not rule(m):
        raise PermissionDenied(f"You are not allowed to {action} in this course.")


def require_visible(m: Membership | None, *, deleted: bool) -> None:
    """A deleted course still exists for its members; for everyone else it is gone."""
    if deleted and not is_member(m):
        raise NotFound("No such course.", code="course_not_found")


def role_name(m: Membership | None) -> str | None:
    """`my_role` in catalog items: the role, or None when not (or no longer) a member."""
    return m.role.value if is_member(m) else None  # type: ignore[union-attr]
