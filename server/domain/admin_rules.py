"""Platform rules: versioned texts admins publish and users accept. Pure: no I/O here.

A rule takes effect at `effective_from`, always in the future when set; a change makes a new
version (older versions stay readable), and users accept one version at a time.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from server.domain.errors import Conflict, InvalidInput
from server.domain.time_range import Instant
from server.domain.users import Strict

AppliesTo = Literal["all", "students", "teachers"]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]


class RuleConditions(Strict):
    applies_to: AppliesTo = Field(
        "all", description="students: enrolled somewhere; teachers: owning or assisting a course."
    )


class RuleCreate(Strict):
    title: Title
    description: Text
    effective_from: Instant = Field(description="When the rule takes effect (future).")
    conditions: RuleConditions = Field(default_factory=RuleConditions)


class RuleUpdate(Strict):
    title: Title | None = None
    description: Text | None = None
    effective_from: Instant | None = None
    conditions: RuleConditions | None = None

    @model_validator(mode="after")
    def _something(self) -> RuleUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one field")
        if any(getattr(self, name) is None for name in self.model_fields_set):
            raise ValueError("fields may not be null")
        return self


class RuleRead(BaseModel):
    id: uuid.UUID
    version: int
    title: str
    description: str
    effective_from: datetime
    conditions: RuleConditions
    in_force: bool
    created_at: datetime
    updated_at: datetime
    acceptances: dict[str, int] = Field(
        default_factory=dict, description="Admins only: version -> users who accepted it."
    )


class RuleList(BaseModel):
    items: list[RuleRead]


class RuleVersionRead(BaseModel):
    version: int
    title: str
    description: str
    effective_from: datetime
    conditions: RuleConditions
    created_at: datetime
    created_by: uuid.UUID
    acceptances: int


class RuleVersions(BaseModel):
    items: list[RuleVersionRead]


class UserRule(BaseModel):
    id: uuid.UUID
    version: int
    title: str
    description: str
    effective_from: datetime
    applies_to: AppliesTo
    in_force: bool
    accepted_version: int | None = Field(description="The newest version you accepted.")


class UserRules(BaseModel):
    items: list[UserRule]


class RuleAccept(Strict):
    version: int = Field(ge=1)


class RuleAcceptance(BaseModel):
    rule_id: uuid.UUID
    version: int
    accepted_at: datetime


def check_effective_from(effective_from: datetime, now: datetime) -> None:
    if effective_from <= now:
        raise InvalidInput(
            "effective_from must be in the future.",
            code="effective_from_in_past",
            details=[{"field": "effective_from", "now": now.isoformat()}],
        )


def check_current_version(*, asked: int, current: int) -> None:
    if asked != current:
        raise Conflict(
            f"Version {asked} is not the rule's current text; read it again (version {current}).",
            code="rule_version_outdated",
            details=[{"current_version": current}],
        )


def rule_read(doc: dict, now: datetime, counts: dict[int, int] | None = None) -> RuleRead:
    return RuleRead(
        id=uuid.UUID(doc["_id"]),
        version=doc["version"],
        title=doc["title"],
        description=doc["description"],
        effective_from=doc["effective_from"],
        conditions=RuleConditions(**doc["conditions"]),
        in_force=doc["effective_from"] <= now,
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        acceptances={str(v): n for v, n in sorted((counts or {}).items())},
    )
