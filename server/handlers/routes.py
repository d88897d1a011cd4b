"""Every route of the app, from each handler module's table (the `setup_routes` of polls)."""

from __future__ import annotations

from aiohttp import web

from server.handlers import (
    admin_accounts,
    admin_audit,
    admin_ops,
    admin_rules,
    admin_users,
    analytics,
    assignments,
    auth,
    console,
    course_content,
    course_feedback,
    courses,
    forum,
    forum_posts,
    health,
    local_files,
    notification_deliveries,
    notifications,
    openapi,
    submissions,
    uploads,
    users,
)
from server.handlers.routing import Endpoint, RouteTable, add_tables
from server.keys import READINESS_CHECKS, ROUTE_ENDPOINTS

TABLES: list[RouteTable] = [
    health.routes,
    openapi.routes,
    console.routes,
    courses.routes,
    course_content.routes,
    course_feedback.routes,
    auth.routes,
    users.routes,
    local_files.routes,
    assignments.routes,
    submissions.routes,
    analytics.routes,
    uploads.routes,
    admin_accounts.routes,
    admin_users.routes,
    admin_rules.routes,
    admin_rules.user_routes,
    admin_audit.routes,
    admin_ops.routes,
    notifications.routes,
    notification_deliveries.routes,
    forum.routes,
    forum_posts.routes,
]


def setup_routes(app: web.Application) -> list[Endpoint]:
    app[READINESS_CHECKS].update(postgres=health.postgres_ready, mongo=health.mongo_ready)
    endpoints, app[ROUTE_ENDPOINTS] = add_tables(app, TABLES)
    return endpoints
