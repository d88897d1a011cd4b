"""Access tokens: short-lived HS256 JWTs carrying the user id and the user's token version.

Expiry is checked against the domain clock (not the wall clock) so tests can move time.
A verified signature is remembered (bounded, per secret and token): every request of a session
sends the same token, and verifying it again costs more than the rest of a cached request's
authentication. Expiry is still checked on every use; invalid tokens are never remembered.

Tokens are issued with PyJWT and verified here, for the one shape we issue (compact HS256):
PyJWT's decode checks each base64 character in a Python loop (its fix for GHSA-hxm8-2xgr-2p9m)
and took about 40 us a token, the largest single cost of a socket connect in a reconnect storm
(bench/realtime). The checks are the same: the base64url alphabet without padding (one compiled
regex) in its canonical form, `alg` exactly HS256 (never "none", never an asymmetric key
confusion), and a constant-time comparison of the HMAC-SHA256 signature. Claims we never issue
(`aud`, `nbf`) and an issue time in the future refuse the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt

from server.domain.errors import Unauthenticated

ALGORITHM = "HS256"
ACCESS = "access"


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    token_version: int
    expires_at: datetime
    realm: str = "user"  # "admin" tokens are issued by the administration realm
    issued_at: datetime | None = None


def issue_access_token(
    *,
    secret: str,
    user_id: uuid.UUID,
    token_version: int,
    now: datetime,
    ttl: timedelta,
    realm: str = "user",
) -> str:
    claims = {
        "sub": str(user_id),
        "ver": token_version,
        "realm": realm,
        "typ": ACCESS,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


# How far ahead of this process's clock another process's may be when it issues a token.
ISSUED_AT_LEEWAY = timedelta(seconds=60)


def decode_access_token(*, secret: str, token: str, now: datetime) -> AccessClaims:
    """Verify signature, algorithm, type, audience, issue time and expiry; raise
    `Unauthenticated` with a code."""
    claims = _verified_claims(secret, token)
    if claims.expires_at <= now:
        raise Unauthenticated("The access token has expired.", code="token_expired")
    if claims.issued_at is not None and claims.issued_at > now + ISSUED_AT_LEEWAY:
        # Never issued by us: our tokens are dated by the clock that checks them.
        raise Unauthenticated("The access token is not valid.", code="token_invalid")
    return claims


_COMPACT_JWS = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")
_REQUIRED = ("sub", "ver", "exp", "typ")


@lru_cache(maxsize=4096)  # raising is not cached: garbage tokens cannot flood it
def _verified_claims(secret: str, token: str) -> AccessClaims:
    try:
        claims = _verified_payload(secret.encode(), token)
        if any(name not in claims for name in _REQUIRED) or claims["typ"] != ACCESS:
            raise ValueError("not an access token")
        if "aud" in claims or "nbf" in claims:
            # We issue neither: a token naming an audience was meant for some other service
            # (PyJWT refuses it likewise when no audience is expected).
            raise ValueError("a claim we never issue")
        return AccessClaims(
            uuid.UUID(str(claims["sub"])),
            int(claims["ver"]),
            datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
            str(claims.get("realm", "user")),
            datetime.fromtimestamp(int(claims["iat"]), tz=UTC) if "iat" in claims else None,
        )
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError, binascii.Error):
        raise Unauthenticated("The access token is not valid.", code="token_invalid") from None


def _verified_payload(key: bytes, token: str) -> dict:
    """The claims of a compact HS256 JWS signed with `key`; ValueError (or a decoding error)
    for anything else."""
    match = _COMPACT_JWS.fullmatch(token)
    if match is None:
        raise ValueError("not a compact JWS")
    header_b64, payload_b64, signature_b64 = match.groups()
    header = json.loads(_b64url(header_b64))
    if not isinstance(header, dict) or header.get("alg") != ALGORITHM:
        raise ValueError("not HS256")
    signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
    expected = hmac.new(key, signing_input, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _b64url(signature_b64)):
        raise ValueError("bad signature")
    claims = json.loads(_b64url(payload_b64))
    if not isinstance(claims, dict):
        raise ValueError("claims are not an object")
    return claims


def _b64url(segment: str) -> bytes:
    # The alphabet was checked by the regex. Only the canonical encoding is accepted (as PyJWT
    # does), so one token has one spelling.
    decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if base64.urlsafe_b64encode(decoded).rstrip(b"=") != segment.encode("ascii"):
        raise ValueError("not canonical base64url")
    return decoded
