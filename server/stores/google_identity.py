"""Google ID tokens, verified with google-auth against Google's certificates.

The certificates are fetched with aiohttp (non-blocking) and cached for the `max-age` Google
sends; google-auth then verifies signature, expiry and audience with no I/O of its own. A
token signed by a key we do not know triggers one refetch (Google rotates keys).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from google.auth import exceptions as google_exceptions
from google.auth import jwt as google_jwt
from google.oauth2 import id_token

from server.domain.errors import Unauthenticated

GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
DEFAULT_MAX_AGE = 3600.0
_MAX_AGE = re.compile(r"max-age=(\d+)")


@dataclass(frozen=True)
class GoogleIdentity:
    sub: str
    email: str
    name: str
    picture: str | None


class _Response:
    status = 200
    headers: dict[str, str] = {}

    def __init__(self, data: bytes) -> None:
        self.data = data


class _Served:
    """A google.auth.transport.Request that answers with certificates already fetched."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def __call__(self, url: str, method: str = "GET", **kw: Any) -> _Response:
        return _Response(self._data)


def invalid(reason: str) -> Unauthenticated:
    return Unauthenticated(
        f"The Google sign-in token is not valid: {reason}", code="invalid_google_token"
    )


class GoogleVerifier:
    def __init__(
        self, session: aiohttp.ClientSession, *, certs_url: str, client_ids: list[str]
    ) -> None:
        self._session = session
        self._url = certs_url
        self._client_ids = list(client_ids)
        self._certs: bytes | None = None
        self._expires = 0.0  # monotonic seconds
        self._lock = asyncio.Lock()

    async def _fetch(self) -> bytes:
        async with self._session.get(self._url, timeout=aiohttp.ClientTimeout(total=10)) as resp:
            if resp.status != 200:
                raise invalid(f"Google's certificates are unavailable ({resp.status}).")
            data = await resp.read()
            match = _MAX_AGE.search(resp.headers.get("Cache-Control", ""))
        json.loads(data)  # refuse to cache garbage
        self._certs = data
        self._expires = time.monotonic() + (float(match.group(1)) if match else DEFAULT_MAX_AGE)
        return data

    async def _certificates(self, *, kid: str | None) -> bytes:
        async with self._lock:  # one fetch at a time, however many sign-ins arrive together
            certs = self._certs
            stale = certs is None or time.monotonic() >= self._expires
            unknown_key = certs is not None and kid is not None and kid not in json.loads(certs)
            if stale or unknown_key:
                try:
                    certs = await self._fetch()
                except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                    if certs is None:
                        raise invalid("Google's certificates are unavailable.") from exc
            assert certs is not None
            return certs

    async def verify(self, token: str) -> GoogleIdentity:
        try:
            header = google_jwt.decode_header(token)
        except (ValueError, google_exceptions.GoogleAuthError):
            raise invalid("malformed token.") from None
        certs = await self._certificates(kid=header.get("kid"))
        try:
            claims = id_token.verify_token(
                token, _Served(certs), audience=self._client_ids, certs_url=self._url
            )
        except (ValueError, google_exceptions.GoogleAuthError) as exc:
            raise invalid(str(exc).split(",")[0]) from None
        if claims.get("iss") not in GOOGLE_ISSUERS:
            raise invalid("wrong issuer.")
        if not claims.get("sub") or not claims.get("email"):
            raise invalid("no subject or email.")
        if claims.get("email_verified") not in (True, "true"):
            raise Unauthenticated(
                "Google has not verified this email address.", code="google_email_not_verified"
            )
        email = str(claims["email"]).strip().lower()
        return GoogleIdentity(
            sub=str(claims["sub"]),
            email=email,
            name=str(claims.get("name") or email.split("@")[0])[:100],
            picture=claims.get("picture"),
        )
