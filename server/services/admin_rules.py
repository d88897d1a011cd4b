"""Platform rules: admins create, change (a new version each time) and delete them; users read
the rules and accept the current version. Every change is staged in Mongo and committed with its
event and audit record (server/services/admin_intents.py).

`rule.published {rule_id, version, title, applies_to}` goes to the `global` stream on creation
and on every change: the notifications consumer tells the users the rule applies to.
"""

from __future__ import annotations

import uuid

from pymongo.asynchronous.database import AsyncDatabase

from server.domain.admin_rules import (
    RuleAccept,
    RuleAcceptance,
    RuleCreate,
    RuleList,
    RuleRead,
    RuleUpdate,
    RuleVersionRead,
    RuleVersions,
    UserRule,
    UserRules,
    check_current_version,
    check_effective_from,
    rule_read,
)
from server.domain.audit import changes_between
from server.domain.clock import Clock
from server.domain.context import RequestContext
from server.domain.errors import NotFound
from server.domain.events import GLOBAL_STREAM, event, user_stream
from server.pg_pool import Pool
from server.services.admin_intents import mongo_change
from server.stores import admin_rules as store

FIELDS = ("title", "description", "effective_from", "conditions")


def _not_found() -> NotFound:
    return NotFound("No such rule.", code="rule_not_found")


def _published(doc: dict, at) -> object:
    return event(
        "rule.published",
        GLOBAL_STREAM,
        at=at,
        rule_id=doc["_id"],
        version=doc["version"],
        title=doc["title"],
        applies_to=doc["conditions"]["applies_to"],
    )


async def create_rule(
    *, pool: Pool, clock: Clock, context: RequestContext, db: AsyncDatabase, data: RuleCreate
) -> RuleRead:
    rule_id = str(uuid.uuid4())
    key = f"rule:{rule_id}"
    async with mongo_change(pool=pool, clock=clock, context=context, db=db, key=key) as change:
        now = change.uow.now
        check_effective_from(data.effective_from, now)
        fields = data.model_dump(mode="python")
        doc = {
            "_id": rule_id,
            "version": 1,
            **fields,
            "created_at": now,
            "updated_at": now,
            "created_by": str(context.actor_id),
            "updated_by": str(context.actor_id),
            "deleted_at": None,
        }
        await change.stage("rule.put", doc, _published(doc, now))
        change.uow.audit(
            "rule.create", target=("rule", rule_id), changes=changes_between(None, fields)
        )
    return rule_read(doc, now)


async def update_rule(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    db: AsyncDatabase,
    rule_id: uuid.UUID,
    data: RuleUpdate,
) -> RuleRead:
    key = f"rule:{rule_id}"
    async with mongo_change(pool=pool, clock=clock, context=context, db=db, key=key) as change:
        now = change.uow.now
        current = await store.by_id(db, str(rule_id))
        if current is None:
            raise _not_found()
        if data.effective_from is not None:
            check_effective_from(data.effective_from, now)
        before = {f: current[f] for f in FIELDS}
        after = {**before, **data.model_dump(mode="python", exclude_unset=True)}
        doc = {
            **current,
            **after,
            "version": current["version"] + 1,
            "updated_at": now,
            "updated_by": str(context.actor_id),
        }
        await change.stage("rule.put", doc, _published(doc, now))
        changes = changes_between(before, after, FIELDS)
        change.uow.audit(
            "rule.update",
            target=("rule", rule_id),
            changes={**changes, "version": [current["version"], doc["version"]]},
        )
    return rule_read(doc, now)


async def delete_rule(
    *, pool: Pool, clock: Clock, context: RequestContext, db: AsyncDatabase, rule_id: uuid.UUID
) -> None:
    key = f"rule:{rule_id}"
    async with mongo_change(pool=pool, clock=clock, context=context, db=db, key=key) as change:
        current = await store.by_id(db, str(rule_id))
        if current is None:
            raise _not_found()
        now = change.uow.now
        payload = {"rule_id": str(rule_id), "at": now, "by": str(context.actor_id)}
        deleted = event("rule.deleted", GLOBAL_STREAM, at=now, rule_id=str(rule_id))
        await change.stage("rule.delete", payload, deleted)
        change.uow.audit(
            "rule.delete", target=("rule", rule_id), changes={"deleted": [False, True]}
        )


async def list_rules(*, db: AsyncDatabase, clock: Clock) -> RuleList:
    docs = await store.listing(db)
    counts = await store.acceptance_counts(db, [d["_id"] for d in docs])
    now = clock.now()
    return RuleList(
        items=[
            rule_read(d, now, {v: n for (r, v), n in counts.items() if r == d["_id"]}) for d in docs
        ]
    )


async def get_rule(*, db: AsyncDatabase, clock: Clock, rule_id: uuid.UUID) -> RuleRead:
    doc = await store.by_id(db, str(rule_id))
    if doc is None:
        raise _not_found()
    counts = await store.acceptance_counts(db, [doc["_id"]])
    return rule_read(doc, clock.now(), {v: n for (_, v), n in counts.items()})


async def rule_versions(*, db: AsyncDatabase, rule_id: uuid.UUID) -> RuleVersions:
    if await store.by_id(db, str(rule_id)) is None:
        raise _not_found()
    counts = await store.acceptance_counts(db, [str(rule_id)])
    return RuleVersions(
        items=[
            RuleVersionRead(
                **{k: v for k, v in d.items() if k in RuleVersionRead.model_fields},
                acceptances=counts.get((str(rule_id), d["version"]), 0),
            )
            for d in await store.versions(db, str(rule_id))
        ]
    )


async def user_rules(*, db: AsyncDatabase, clock: Clock, user_id: uuid.UUID) -> UserRules:
    """Every rule (in force or announced), with the newest version the user accepted."""
    now = clock.now()
    accepted = await store.accepted_by(db, str(user_id))
    return UserRules(
        items=[
            UserRule(
                id=uuid.UUID(d["_id"]),
                version=d["version"],
                title=d["title"],
                description=d["description"],
                effective_from=d["effective_from"],
                applies_to=d["conditions"]["applies_to"],
                in_force=d["effective_from"] <= now,
                accepted_version=accepted.get(d["_id"]),
            )
            for d in await store.listing(db)
        ]
    )


async def accept_rule(
    *,
    pool: Pool,
    clock: Clock,
    context: RequestContext,
    db: AsyncDatabase,
    rule_id: uuid.UUID,
    data: RuleAccept,
) -> RuleAcceptance:
    user_id = context.actor_id
    key = f"accept:{rule_id}:{user_id}"
    async with mongo_change(pool=pool, clock=clock, context=context, db=db, key=key) as change:
        rule = await store.by_id(db, str(rule_id))
        if rule is None:
            raise _not_found()
        check_current_version(asked=data.version, current=rule["version"])
        now = change.uow.now
        previous = (await store.accepted_by(db, str(user_id))).get(str(rule_id))
        payload = {
            "rule_id": str(rule_id),
            "version": data.version,
            "user_id": str(user_id),
            "at": now,
        }
        accepted = event(
            "rule.accepted",
            user_stream(user_id),
            at=now,
            rule_id=str(rule_id),
            version=data.version,
        )
        await change.stage("rule.accept", payload, accepted)
        change.uow.audit(
            "rule.accept", target=("rule", rule_id), changes={"version": [previous, data.version]}
        )
    return RuleAcceptance(rule_id=rule_id, version=data.version, accepted_at=now)
