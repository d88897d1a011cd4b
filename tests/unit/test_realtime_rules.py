"""Realtime rules, without I/O."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from server.domain import realtime as rules


def test_streams_of_a_user_follow_their_course_roles():
    user, taught, studied = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    streams = rules.streams_of(user, [(taught, "assistant"), (studied, "student")])
    assert streams == {
        f"user:{user}",
        "global",
        f"course:{taught}",
        f"course:{taught}:staff",
        f"course:{studied}",
    }
    assert rules.staff_courses([(taught, "owner"), (studied, "student")]) == {taught}


@pytest.mark.parametrize(
    ("last", "seq", "verdict"),
    [
        (None, 7, rules.Offer.deliver),
        (6, 7, rules.Offer.deliver),
        (7, 7, rules.Offer.duplicate),
        (9, 7, rules.Offer.duplicate),
        (5, 7, rules.Offer.gap),
    ],
)
def test_classify_orders_by_seq(last, seq, verdict):
    assert rules.classify(last, seq) is verdict


@pytest.mark.parametrize(
    ("after", "head", "first", "plan"),
    [
        (5, 5, None, rules.ReplayPlan.up_to_date),
        (3, 5, 4, rules.ReplayPlan.replay),
        (0, 5, 1, rules.ReplayPlan.replay),
        (0, 5, 3, rules.ReplayPlan.resync),  # 1 and 2 expired
        (2, 5, None, rules.ReplayPlan.resync),  # everything expired
        (9, 5, None, rules.ReplayPlan.resync),  # the client is ahead of this server's log
    ],
)
def test_plan_replay(after, head, first, plan):
    assert rules.plan_replay(after=after, head=head, first_retained=first) is plan


def test_token_bucket_allows_a_burst_then_the_rate():
    bucket = rules.TokenBucket(rate=2, burst=3)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(100.4) is False
    assert bucket.take(100.5) is True  # one token after half a second at 2/s


def test_a_bucket_is_full_once_it_has_refilled():
    bucket = rules.TokenBucket(rate=2, burst=3)
    assert bucket.full(0.0)  # never used
    assert [bucket.take(100.0) for _ in range(2)] == [True, True]
    assert not bucket.full(100.9)  # 1 + 1.8 tokens
    assert bucket.full(101.0)


def test_routes_admin_streams_to_the_admin_namespace():
    assert rules.route("admin:audit") == ("/admin", "audit")
    cid = uuid.uuid4()
    assert rules.route(f"course:{cid}") == ("/", f"course:{cid}")


def test_client_events_are_validated():
    assert rules.ResumeRequest.model_validate({"streams": {"user:x": 3}}).streams == {"user:x": 3}
    for bad in ({"streams": {"user:x": -1}}, {"streams": []}, {"streams": {}, "extra": 1}):
        with pytest.raises(ValidationError):
            rules.ResumeRequest.model_validate(bad)
    with pytest.raises(ValidationError):
        rules.WatchRequest.model_validate({"assignment_id": "not-a-uuid"})
    with pytest.raises(ValidationError):
        rules.ConnectAuth.model_validate({"resume": {}})


def test_recent_envelopes_serve_only_complete_ranges():
    from server.realtime.recent import RecentEnvelopes

    recent = RecentEnvelopes(per_stream=3, streams=2)
    for seq in (1, 2, 4, 3):  # arrival order across processes may differ
        recent.add({"stream": "s", "seq": seq}, f"packet {seq}")
    assert [(e["seq"], p) for e, p in recent.between("s", 1, 4)] == [
        (2, "packet 2"),
        (3, "packet 3"),
        (4, "packet 4"),
    ]
    assert recent.between("s", 0, 4) is None  # seq 1 was evicted (3 per stream)
    assert recent.between("s", 4, 5) is None  # 5 never seen here: read the log
    recent.add({"stream": "t", "seq": 1})
    recent.add({"stream": "u", "seq": 1})  # a third stream evicts the least recent ("s")
    assert recent.between("s", 3, 4) is None
    assert recent.between("u", 0, 1) == [({"stream": "u", "seq": 1}, None)]


def test_recent_envelopes_are_bounded_in_total():
    from server.realtime.recent import RecentEnvelopes

    recent = RecentEnvelopes(per_stream=100, streams=1000, envelopes=10)
    for n in range(8):
        recent.add({"stream": "busy", "seq": n + 1})
    for user in range(5):  # quiet streams, one envelope each: the busiest written least lately
        recent.add({"stream": f"user:{user}", "seq": 1})
    assert recent.between("busy", 0, 8) is None  # evicted whole, as least recently written
    assert all(recent.between(f"user:{u}", 0, 1) for u in range(5))
    recent.add({"stream": "user:4", "seq": 1})  # the same envelope again counts once
    for n in range(10):
        recent.add({"stream": "busy", "seq": n + 1})
    assert len(recent.between("busy", 0, 10)) == 10
    assert all(recent.between(f"user:{u}", 0, 1) is None for u in range(5))
