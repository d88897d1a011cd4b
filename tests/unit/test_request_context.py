"""Anonymous requests become the account they prove; nobody else changes identity."""

from __future__ import annotations

import uuid

import pytest

from server.domain.context import anonymous_context, user_context


def test_an_anonymous_request_acts_as_the_user_it_proves_from_the_same_place():
    uid = uuid.uuid4()
    anon = anonymous_context(ip="10.0.0.9", request_id="r9")
    assert anon.as_dict() == {
        "actor": {"kind": "system", "id": None},
        "ip": "10.0.0.9",
        "request_id": "r9",
    }
    assert anon.as_user(uid).as_dict() == {
        "actor": {"kind": "user", "id": str(uid)},
        "ip": "10.0.0.9",
        "request_id": "r9",
    }


def test_a_user_stays_who_they_are():
    uid = uuid.uuid4()
    ctx = user_context(uid, ip="10.0.0.1")
    assert ctx.as_user(uid) is ctx
    with pytest.raises(ValueError):
        ctx.as_user(uuid.uuid4())
