"""Test data made directly in the stores, for tests whose subject is not accounts themselves.

Accounts' own tests go through HTTP (register, verify, login); everything else starts from
`users.create()` to get a verified user and a bearer token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import pytest
from aiohttp import web

from server.domain.tokens import issue_access_token
from server.keys import CLOCK, JWT_SECRET, SETTINGS


@dataclass(frozen=True)
class TestUser:
    id: uuid.UUID
    email: str
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class UserFactory:
    def __init__(self, db: asyncpg.Connection, app: web.Application) -> None:
        self.db = db
        self.app = app
        self.count = 0

    def token(self, user_id: uuid.UUID, token_version: int = 0) -> str:
        return issue_access_token(
            secret=self.app[JWT_SECRET],
            user_id=user_id,
            token_version=token_version,
            now=self.app[CLOCK].now(),
            ttl=timedelta(minutes=self.app[SETTINGS].access_token_minutes),
        )

    async def create(
        self, name: str | None = None, *, email: str | None = None, status: str = "active"
    ) -> TestUser:
        self.count += 1
        name = name or f"User {self.count}"
        email = email or f"user{self.count}-{uuid.uuid4().hex[:6]}@example.test"
        user_id = uuid.uuid4()
        now = self.app[CLOCK].now()
        await self.db.execute(
            "INSERT INTO users (id, email, name, email_verified, status, created_at, updated_at) "
            "VALUES ($1, $2, $3, true, $4, $5, $5)",
            user_id,
            email.lower(),
            name,
            status,
            now,
        )
        return TestUser(user_id, email.lower(), name, self.token(user_id))


@pytest.fixture
def users(db: asyncpg.Connection, app: web.Application) -> UserFactory:
    return UserFactory(db, app)
