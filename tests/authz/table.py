"""Every row of the authorization table, and what the app declares (routes and socket events),
so a route or an event without a row, or a row without a route, is noticed."""

from __future__ import annotations

from types import ModuleType

from aiohttp import web

from server.domain.realtime import ADMIN_NAMESPACE, USER_NAMESPACE
from server.keys import ENDPOINTS
from server.realtime.namespaces import AdminNamespace, UserNamespace
from tests.authz import (
    table_accounts,
    table_admin,
    table_courses,
    table_forum,
    table_sockets,
    table_work,
)
from tests.authz.model import Row

SECTIONS: list[ModuleType] = [
    table_accounts,
    table_courses,
    table_work,
    table_forum,
    table_admin,
    table_sockets,
]
ROWS: list[Row] = [row for section in SECTIONS for row in section.ROWS]


def declared_routes(app: web.Application) -> set[tuple[str, str]]:
    return {(ep.method, ep.path) for ep in app[ENDPOINTS]}


def declared_events() -> set[tuple[str, str]]:
    return {
        ("EVENT", f"{namespace} {event}")
        for namespace, cls in ((USER_NAMESPACE, UserNamespace), (ADMIN_NAMESPACE, AdminNamespace))
        for event in ("connect", *cls.events)
    }
