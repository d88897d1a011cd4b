"""Administration's pure rules: the audit hash chain, the live feed's filter, admin removal,
block ends, rule dates, permission bodies and the latency window."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from server.domain.admin import check_removal
from server.domain.admin_audit import (
    GENESIS,
    AuditSubscribe,
    ChainCheck,
    build_entry,
    canonical,
    entry_hash,
    feed_accepts,
)
from server.domain.admin_metrics import LatencyWindow, bucket_bound, merge, percentile_ms
from server.domain.admin_rules import check_effective_from
from server.domain.admin_users import PermissionsUpdate, check_block_until
from server.domain.errors import Conflict, InvalidInput

AT = datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC)


def chain(n: int) -> list[dict]:
    entries, prev = [], GENESIS
    for seq in range(1, n + 1):
        entry = build_entry(
            seq=seq, prev_hash=prev, event_id=uuid.uuid4(), source_seq=seq * 2, at=AT,
            data={"action": "user.block", "target": {"kind": "user", "id": str(seq)},
                  "changes": {"reason": [None, f"r{seq}"]}},
            context={"actor": {"kind": "admin", "id": "a"}, "ip": "10.0.0.1", "request_id": "r"},
        )  # fmt: skip
        entries.append({"_id": seq, **entry})
        prev = entry["hash"]
    return entries


def check(entries: list[dict], first_seq: int = 1, prev: str | None = GENESIS) -> ChainCheck:
    checker = ChainCheck(first_seq=first_seq, prev_hash=prev)
    for entry in entries:
        if not checker.feed(entry):
            break
    return checker


def test_an_intact_chain_checks_and_links_each_entry_to_the_previous():
    entries = chain(5)
    assert check(entries).broken is None and check(entries).checked == 5
    assert entries[0]["prev_hash"] == GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(entries))
    assert entries[0]["at"] == datetime(2026, 1, 5, 9, 0, 0, 123000, tzinfo=UTC)


def test_the_hash_survives_mongo_s_round_trip_of_datetimes_and_key_order():
    [entry] = chain(1)
    stored = {k: entry[k] for k in reversed(list(entry))}  # another key order
    stored["at"] = stored["at"].astimezone(timezone(timedelta(hours=-3)))
    assert entry_hash(GENESIS, stored) == entry["hash"]
    assert b'"at":"2026-01-05T09:00:00.123Z"' in canonical(entry)


@pytest.mark.parametrize(
    ("tamper", "seq", "reason"),
    [
        (lambda e: e[2]["changes"].update(reason=[None, "edited"]), 3, "hash_mismatch"),
        (lambda e: e[2].update(actor={"kind": "admin", "id": "b"}), 3, "hash_mismatch"),
        (lambda e: e[3].update(prev_hash=e[1]["hash"]), 4, "prev_hash_mismatch"),
        (lambda e: e.pop(2), 3, "missing_or_reordered"),
        (lambda e: e.insert(1, e.pop(3)), 2, "missing_or_reordered"),
    ],
)
def test_any_change_breaks_the_chain_at_its_seq(tamper, seq, reason):
    entries = chain(5)
    tamper(entries)
    result = check(entries)
    assert (result.broken, result.reason) == (seq, reason)


def test_a_range_is_anchored_on_the_entry_before_it():
    entries = chain(5)
    assert check(entries[2:], first_seq=3, prev=entries[1]["hash"]).broken is None
    assert check(entries[2:], first_seq=3, prev=entries[0]["hash"]).broken == 3
    assert check(entries[2:], first_seq=3, prev=None).broken is None  # anchor itself missing


def test_a_rehashed_forgery_still_breaks_at_the_next_entry():
    entries = chain(4)
    forged = {**entries[1], "changes": {"reason": [None, "forged"]}}
    forged["hash"] = entry_hash(forged["prev_hash"], forged)
    entries[1] = forged
    assert (check(entries).broken, check(entries).reason) == (3, "prev_hash_mismatch")


def test_the_feed_filter():
    entry = {"action": "user.block", "target": {"kind": "user", "id": "1"}}
    assert feed_accepts(AuditSubscribe(), entry)
    assert feed_accepts(AuditSubscribe(actions=["user.block"]), entry)
    assert not feed_accepts(AuditSubscribe(actions=["rule.create"]), entry)
    assert feed_accepts(AuditSubscribe(target_kind="user"), entry)
    assert not feed_accepts(AuditSubscribe(actions=["user.block"], target_kind="rule"), entry)
    for bad in ({"actions": ["Block"]}, {"actions": "user.block"}, {"target_kind": "User"},
                {"actions": ["a.b"] * 101}, {"other": 1}):  # fmt: skip
        with pytest.raises(ValidationError):
            AuditSubscribe.model_validate(bad)


def test_admin_removal_rules():
    me, other = uuid.uuid4(), uuid.uuid4()
    with pytest.raises(Conflict) as exc:
        check_removal(actor_id=me, target_id=me, active=3)
    assert exc.value.code == "cannot_remove_self"
    with pytest.raises(Conflict) as exc:
        check_removal(actor_id=me, target_id=other, active=1)
    assert exc.value.code == "last_admin"
    check_removal(actor_id=me, target_id=other, active=2)


def test_dates_must_be_in_the_future():
    now = AT
    for check_date in (check_block_until, check_effective_from):
        with pytest.raises(InvalidInput):
            check_date(now, now)
        with pytest.raises(InvalidInput):
            check_date(now - timedelta(seconds=1), now)
        check_date(now + timedelta(seconds=1), now)
    check_block_until(None, now)


def test_permission_changes_name_at_least_one_permission_and_no_nulls():
    assert PermissionsUpdate(can_enroll=False).model_dump(exclude_unset=True) == {
        "can_enroll": False
    }
    for bad in ({}, {"can_enroll": None}, {"can_fly": True}):
        with pytest.raises(ValidationError):
            PermissionsUpdate.model_validate(bad)


def test_the_latency_window_keeps_one_minute_and_merges_exactly():
    window = LatencyWindow()
    for ms in (1.0, 2.0, 3.0, 50.0):
        window.add(1000.2, ms)
    window.add(1030.0, 500.0)
    assert sum(window.histogram(1030.5)) == 5
    assert sum(window.histogram(1061.0)) == 1  # the first second has left the window
    assert sum(window.histogram(1100.0)) == 0
    histogram = window.histogram(1030.5)
    p95 = percentile_ms(histogram, 0.95)
    assert 500.0 <= p95 < 500.0 * 1.2
    assert 3.0 <= percentile_ms(histogram, 0.5) < 3.0 * 1.2  # the median, to a bucket
    assert bucket_bound(0) == 0.1
    assert percentile_ms([0] * 75, 0.95) is None
    assert sum(merge([histogram, histogram])) == 10
