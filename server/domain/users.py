"""The user resource's pydantic family: what clients send and what they get back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
)

from server.domain import cursors
from server.domain.accounts import PASSWORD_MAX_LENGTH
from server.domain.cursors import Cursor

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Password = Annotated[str, Field(max_length=PASSWORD_MAX_LENGTH)]
Pin = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
# BCP 47 language tags as the app sends them: "es", "es-AR", "pt-BR".
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Location(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class UserCreate(Strict):
    email: EmailStr
    password: Password
    name: Name


class UserUpdate(Strict):
    """PATCH /users/me: only the fields sent change; `location: null` clears it."""

    name: Name | None = None
    bio: Annotated[str, Field(max_length=500)] | None = None
    locale: Locale | None = None
    location: Location | None = None
    email: EmailStr | None = None

    @field_validator("name", "email")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null")
        return value


class PublicUser(BaseModel):
    """What anyone signed in may see about anyone: never email, location or devices."""

    id: uuid.UUID
    name: str
    bio: str
    photo_url: str | None


class UserRead(PublicUser):
    """The owner's own view (GET /users/me): public and private fields."""

    email: str
    pending_email: str | None = Field(
        description="A new address waiting for its PIN; `email` stays until it is verified."
    )
    email_verified: bool
    locale: str | None
    location: Location | None
    has_password: bool
    google_linked: bool
    created_at: datetime
    updated_at: datetime


class UserPage(BaseModel):
    items: list[PublicUser]
    next_cursor: str | None


class UserSearch(Strict):
    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    limit: int = Field(20, ge=1, le=100)
    cursor: Cursor | None = None


class DeviceCreate(Strict):
    token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    platform: Literal["android", "ios", "web"]


class DeviceRead(BaseModel):
    token: str
    platform: str
    created_at: datetime


def encode_cursor(name_key: str, user_id: uuid.UUID) -> str:
    return cursors.encode_cursor(name_key, user_id)


def decode_cursor(cursor: str) -> tuple[str, uuid.UUID]:
    return cursors.decode_cursor(cursor, str, uuid.UUID)  # type: ignore[return-value]
