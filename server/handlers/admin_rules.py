"""/api/v1/admin/rules (admins) and /api/v1/rules (every user reads and accepts)."""

from __future__ import annotations

from aiohttp import web

from server.domain.admin_rules import (
    RuleAccept,
    RuleAcceptance,
    RuleCreate,
    RuleList,
    RuleRead,
    RuleUpdate,
    RuleVersions,
    UserRules,
)
from server.handlers.admin_context import admin_deps, require_admin
from server.handlers.auth_context import mutation_deps, require_user
from server.handlers.io import json_response, path_uuid, read_json
from server.handlers.routing import RouteTable
from server.keys import CLOCK, MONGO_DB
from server.services import admin_rules

routes = RouteTable(tag="admin", prefix="/api/v1/admin")
user_routes = RouteTable(tag="rules", prefix="/api/v1")


def _rule_id(request: web.Request):
    return path_uuid(request, "rule_id", not_found_code="rule_not_found")


def _reads(request: web.Request) -> dict:
    return {"db": request.app[MONGO_DB], "clock": request.app[CLOCK]}


@routes.post(
    "/rules",
    summary="Publish a rule (effective_from in the future); users are notified",
    body=RuleCreate,
    response=RuleRead,
    status=201,
    errors=(403,),
)
async def create_rule(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    data = await read_json(request, RuleCreate)
    rule = await admin_rules.create_rule(**admin_deps(request, admin), data=data)
    return json_response(rule, status=201)


@routes.get("/rules", summary="Every rule with acceptances per version", response=RuleList,
            errors=(403,))  # fmt: skip
async def list_rules(request: web.Request) -> web.Response:
    await require_admin(request)
    return json_response(await admin_rules.list_rules(**_reads(request)))


@routes.get("/rules/{rule_id}", summary="A rule", response=RuleRead, errors=(403, 404))
async def get_rule(request: web.Request) -> web.Response:
    await require_admin(request)
    return json_response(await admin_rules.get_rule(**_reads(request), rule_id=_rule_id(request)))


@routes.patch(
    "/rules/{rule_id}",
    summary="Change a rule: a new version, published again",
    body=RuleUpdate,
    response=RuleRead,
    errors=(403, 404),
)
async def update_rule(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    rule_id = _rule_id(request)
    data = await read_json(request, RuleUpdate)
    rule = await admin_rules.update_rule(**admin_deps(request, admin), rule_id=rule_id, data=data)
    return json_response(rule)


@routes.delete("/rules/{rule_id}", summary="Withdraw a rule", status=204, errors=(403, 404))
async def delete_rule(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    await admin_rules.delete_rule(**admin_deps(request, admin), rule_id=_rule_id(request))
    return web.Response(status=204)


@routes.get(
    "/rules/{rule_id}/versions",
    summary="Every version of a rule, with how many users accepted each",
    response=RuleVersions,
    errors=(403, 404),
)
async def rule_versions(request: web.Request) -> web.Response:
    await require_admin(request)
    versions = await admin_rules.rule_versions(db=request.app[MONGO_DB], rule_id=_rule_id(request))
    return json_response(versions)


@user_routes.get(
    "/rules", summary="The platform's rules, and which version you accepted", response=UserRules
)
async def my_rules(request: web.Request) -> web.Response:
    user = await require_user(request)
    return json_response(await admin_rules.user_rules(**_reads(request), user_id=user.user_id))


@user_routes.post(
    "/rules/{rule_id}/accept",
    summary="Accept the rule's current version",
    body=RuleAccept,
    response=RuleAcceptance,
    errors=(404, 409),
)
async def accept_rule(request: web.Request) -> web.Response:
    user = await require_user(request)
    rule_id = _rule_id(request)
    data = await read_json(request, RuleAccept)
    accepted = await admin_rules.accept_rule(
        **mutation_deps(request, user), db=request.app[MONGO_DB], rule_id=rule_id, data=data
    )
    return json_response(accepted)
