"""Admins for tests: created by the real use case (so the Mongo document is the production one),
with an admin-realm token; and a way to run the audit consumer's handler over what committed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiohttp import web

from server.domain.admin import AdminCreate
from server.domain.context import SYSTEM
from server.domain.tokens import issue_access_token
from server.keys import CLOCK, JWT_SECRET, MONGO_DB, PASSWORDS, PG_POOL, SETTINGS
from server.services.admin_accounts import create_admin

ADMIN_API = "/api/v1/admin"
ADMIN_PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class TestAdmin:
    __test__ = False  # not a test class (pytest collects Test* names)

    id: uuid.UUID
    email: str
    name: str
    token: str
    password: str = ADMIN_PASSWORD

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class AdminFactory:
    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.count = 0

    def token(self, admin_id: uuid.UUID, token_version: int = 0) -> str:
        return issue_access_token(
            secret=self.app[JWT_SECRET],
            user_id=admin_id,
            token_version=token_version,
            now=self.app[CLOCK].now(),
            ttl=timedelta(minutes=self.app[SETTINGS].access_token_minutes),
            realm="admin",
        )

    async def create(self, name: str | None = None, *, email: str | None = None) -> TestAdmin:
        self.count += 1
        name = name or f"Admin {self.count}"
        email = email or f"admin{self.count}-{uuid.uuid4().hex[:6]}@example.com"
        app = self.app
        created = await create_admin(
            pool=app[PG_POOL],
            clock=app[CLOCK],
            context=SYSTEM,
            db=app[MONGO_DB],
            passwords=app[PASSWORDS],
            data=AdminCreate(email=email, name=name, password=ADMIN_PASSWORD),
        )
        return TestAdmin(created.id, created.email, created.name, self.token(created.id))


@pytest.fixture
def admins(client, app: web.Application) -> AdminFactory:
    return AdminFactory(app)
