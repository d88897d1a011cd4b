"""Access tokens: short-lived HS256 JWTs carrying the user id and the user's token version.

Expiry is checked against the domain clock (not the wall clock) so tests can move time.
A verified signature is remembered (bounded, per secret and token): every request of a session
sends the same token, and verifying it again costs more than the rest of a cached request's
authentication. Expiry is still checked on every use; invalid tokens are never remembered.
"""

from __future__ import annotations

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


def decode_access_token(*, secret: str, token: str, now: datetime) -> AccessClaims:
    """Verify signature, algorithm, type and expiry; raise `Unauthenticated` with a code."""
    claims = _verified_claims(secret, token)
    if claims.expires_at <= now:
        raise Unauthenticated("The access token has expired.", code="token_expired")
    return claims


@lru_cache(maxsize=4096)  # raising is not cached: garbage tokens cannot flood it
def _verified_claims(secret: str, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],  # never "none", never an asymmetric key confusion
            options={"require": ["sub", "ver", "exp", "typ"], "verify_exp": False},
        )
        if claims["typ"] != ACCESS:
            raise jwt.InvalidTokenError("not an access token")
        return AccessClaims(
            uuid.UUID(str(claims["sub"])),
            int(claims["ver"]),
            datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
            str(claims.get("realm", "user")),
        )
    except (jwt.InvalidTokenError, ValueError, TypeError, KeyError):
        raise Unauthenticated("The access token is not valid.", code="token_invalid") from None
