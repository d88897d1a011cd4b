"""Access tokens, without I/O."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

import jwt
import pytest

from server.domain.clock import ManualClock
from server.domain.errors import Unauthenticated
from server.domain.tokens import decode_access_token, issue_access_token

SECRET = "s" * 48


def issue(clock: ManualClock, **kw) -> str:
    args = {
        "secret": SECRET,
        "user_id": uuid.uuid4(),
        "token_version": 3,
        "now": clock.now(),
        "ttl": timedelta(minutes=15),
    }
    return issue_access_token(**{**args, **kw})


def code_of(token: str, clock: ManualClock, secret: str = SECRET) -> str:
    with pytest.raises(Unauthenticated) as caught:
        decode_access_token(secret=secret, token=token, now=clock.now())
    return caught.value.code


def test_round_trip_keeps_user_and_version():
    clock = ManualClock()
    uid = uuid.uuid4()
    claims = decode_access_token(secret=SECRET, token=issue(clock, user_id=uid), now=clock.now())
    assert (claims.user_id, claims.token_version, claims.realm) == (uid, 3, "user")


def test_expires_by_the_domain_clock():
    clock = ManualClock()
    token = issue(clock)
    clock.advance(timedelta(minutes=14, seconds=59))
    decode_access_token(secret=SECRET, token=token, now=clock.now())
    clock.advance(timedelta(seconds=1))
    assert code_of(token, clock) == "token_expired"


def test_wrong_secret_and_tampering_are_refused():
    clock = ManualClock()
    token = issue(clock)
    assert code_of(token, clock, secret="other" * 10) == "token_invalid"
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["ver"] = 99
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert code_of(f"{head}.{forged}.{sig}", clock) == "token_invalid"
    assert code_of("not-a-jwt", clock) == "token_invalid"


def test_alg_none_and_other_types_are_refused():
    clock = ManualClock()
    exp = int((clock.now() + timedelta(minutes=5)).timestamp())
    claims = {"sub": str(uuid.uuid4()), "ver": 0, "exp": exp, "typ": "access"}
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    assert code_of(unsigned, clock) == "token_invalid"
    refresh_typed = jwt.encode({**claims, "typ": "refresh"}, SECRET, algorithm="HS256")
    assert code_of(refresh_typed, clock) == "token_invalid"


def test_a_remembered_signature_binds_its_secret_and_keeps_refusing_bad_tokens():
    clock = ManualClock()
    token = issue(clock)
    decode_access_token(secret=SECRET, token=token, now=clock.now())  # now remembered
    assert code_of(token, clock, secret="other" * 10) == "token_invalid"
    garbage = token[:-4] + "AAAA"
    assert [code_of(garbage, clock) for _ in range(2)] == ["token_invalid"] * 2
    assert decode_access_token(secret=SECRET, token=token, now=clock.now()).token_version == 3


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_only_compact_canonical_hs256_tokens_with_every_claim_pass():
    clock = ManualClock()
    exp = int((clock.now() + timedelta(minutes=5)).timestamp())
    claims = {"sub": str(uuid.uuid4()), "ver": 0, "exp": exp, "typ": "access"}
    good = jwt.encode(claims, SECRET, algorithm="HS256")  # what PyJWT signs, we verify
    assert decode_access_token(secret=SECRET, token=good, now=clock.now()).token_version == 0
    head, body, sig = good.split(".")
    refused = [
        jwt.encode(claims, SECRET * 2, algorithm="HS512"),  # other algorithm
        jwt.encode({k: v for k, v in claims.items() if k != "exp"}, SECRET, algorithm="HS256"),
        f"{head}.{body}.{sig}=",  # padding
        f"{head}.{body}.{sig[:-1]}!",  # outside the alphabet
        f"{head}.{body}.{sig}.{sig}",  # four segments
        f"{head}.{body}.{sig[:-1]}",  # truncated signature
        f"{head}.{body}.{sig[:-1]}{chr(ord(sig[-1]) ^ 1)}",  # same bytes or not: never accepted
        f"{_b64(b'[1]')}.{body}.{sig}",  # a header that is not an object
        f"{_b64(b'[' * 5000)}.{body}.{sig}",  # absurd nesting
        "",
    ]
    assert [code_of(t, clock) for t in refused] == ["token_invalid"] * len(refused)


def test_claims_we_never_issue_and_a_future_issue_time_are_refused():
    clock = ManualClock()
    now = int(clock.now().timestamp())
    claims = {"sub": str(uuid.uuid4()), "ver": 0, "iat": now, "exp": now + 300, "typ": "access"}

    def signed(**changes) -> str:
        return jwt.encode({**claims, **changes}, SECRET, algorithm="HS256")

    assert decode_access_token(secret=SECRET, token=signed(), now=clock.now())
    # Issued by a process whose clock is a little ahead: still ours.
    assert decode_access_token(secret=SECRET, token=signed(iat=now + 30), now=clock.now())
    refused = [
        signed(aud="another-service"),
        signed(aud=["classconnect"]),  # we name no audience, so any is someone else's
        signed(nbf=now),
        signed(iat=now + 3600),  # issued in the future: forged or from a broken clock
        signed(iat=now + 3600, exp=now + 7200),
    ]
    assert [code_of(t, clock) for t in refused] == ["token_invalid"] * len(refused)
