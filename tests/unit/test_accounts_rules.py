"""Pure account rules, without I/O."""

from __future__ import annotations

import uuid

import pytest

from server.domain import accounts
from server.domain.errors import InvalidInput
from server.domain.users import decode_cursor, encode_cursor


def test_password_rules_name_each_failure():
    assert accounts.password_problems("long enough pw", "a@b.com") == []
    assert [p["rule"] for p in accounts.password_problems("short", "a@b.com")] == ["min_length"]
    assert [p["rule"] for p in accounts.password_problems(" A@B.com ", "a@b.com")] == ["not_email"]
    with pytest.raises(InvalidInput) as err:
        accounts.check_password("1234567", "a@b.com")
    assert err.value.code == "weak_password" and err.value.details[0]["rule"] == "min_length"


def test_pins_are_six_digits_and_bound_to_user_and_address():
    pins = {accounts.new_pin() for _ in range(200)}
    assert all(len(p) == 6 and p.isdigit() for p in pins) and len(pins) > 150
    uid = uuid.uuid4()
    digest = accounts.pin_digest("123456", user_id=uid, email="a@b.com")
    assert accounts.pin_matches("123456", digest, user_id=uid, email="a@b.com")
    assert not accounts.pin_matches("123457", digest, user_id=uid, email="a@b.com")
    assert not accounts.pin_matches("123456", digest, user_id=uuid.uuid4(), email="a@b.com")
    assert not accounts.pin_matches("123456", digest, user_id=uid, email="c@b.com")


def test_opaque_tokens_are_random_and_only_digests_are_kept():
    a, b = accounts.new_opaque_token(), accounts.new_opaque_token()
    assert a != b and len(a) >= 43
    assert (
        accounts.token_digest(a) != accounts.token_digest(b) and len(accounts.token_digest(a)) == 32
    )


def test_cursor_round_trip_and_garbage():
    uid = uuid.uuid4()
    assert decode_cursor(encode_cursor("maría", uid)) == ("maría", uid)
    for bad in ("!!", "e30", encode_cursor("x", uid)[:-3]):
        with pytest.raises(InvalidInput):
            decode_cursor(bad)
