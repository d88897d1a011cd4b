"""Request and response models of the /auth routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints

from server.domain.users import Password, Pin, Strict, UserRead

Token = Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class VerifyEmail(Strict):
    email: EmailStr
    pin: Pin


class EmailOnly(Strict):
    email: EmailStr


class Login(Strict):
    email: EmailStr
    password: Password


class Refresh(Strict):
    refresh_token: Token


class GoogleSignIn(Strict):
    id_token: Token


class GoogleLink(Strict):
    id_token: Token
    password: Password


class PasswordReset(Strict):
    token: Token
    new_password: Password


class PasswordChange(Strict):
    current_password: Password
    new_password: Password


class Session(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    user: UserRead


class Accepted(BaseModel):
    status: Literal["accepted"] = "accepted"
    message: str


class Done(BaseModel):
    status: Literal["ok"] = "ok"
    message: str
