"""/api/v1/notifications/deliveries: the caller's own delivery log (email and push)."""

from __future__ import annotations

from aiohttp import web

from server.domain.delivery_log import DeliveryPage, DeliveryQuery
from server.handlers.auth_context import require_user
from server.handlers.io import json_response, read_query
from server.handlers.routing import RouteTable
from server.keys import MONGO_DB
from server.services import notification_deliveries

routes = RouteTable(tag="notifications", prefix="/api/v1/notifications")


@routes.get(
    "/deliveries",
    summary="My notification deliveries (email and push), newest first, with every attempt",
    query=DeliveryQuery,
    response=DeliveryPage,
    errors=(401, 422),
)
async def my_deliveries(request: web.Request) -> web.Response:
    principal = await require_user(request)
    query = read_query(request, DeliveryQuery)
    page = await notification_deliveries.my_deliveries(
        request.app[MONGO_DB], user_id=principal.user_id, query=query
    )
    return json_response(page)
