"""Google's certificate endpoint on 127.0.0.1, and a signer for the ID tokens it vouches for.

It serves `{key id: PEM x509 certificate}` exactly like
https://www.googleapis.com/oauth2/v1/certs (with a Cache-Control max-age), from RSA keys made
for the test session. Tests sign ID tokens with the private key (RS256, pyjwt); a second key
that the endpoint never publishes makes "badly signed" tokens.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

CLIENT_ID = "1234567890-classconnect.apps.googleusercontent.com"
ISSUER = "https://accounts.google.com"


def _key_and_cert() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake.googleapis.test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class FakeGoogle:
    url: str = ""
    client_id: str = CLIENT_ID
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    certs: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    max_age: int = 3600

    def add_key(self) -> str:
        kid = uuid.uuid4().hex
        self.keys[kid], self.certs[kid] = _key_and_cert()
        return kid

    def id_token(
        self,
        *,
        sub: str | None = None,
        email: str = "ana@gmail.example.com",
        name: str = "Ana Google",
        email_verified: bool = True,
        audience: str | None = None,
        issuer: str = ISSUER,
        expires_in: int = 3600,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        **extra: Any,
    ) -> str:
        """A Google-shaped ID token; `iat`/`exp` are real time, as Google issues them."""
        kid = kid or next(iter(self.keys))
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience or self.client_id,
            "azp": audience or self.client_id,
            "sub": sub or str(uuid.uuid4().int)[:21],
            "email": email,
            "email_verified": email_verified,
            "name": name,
            "picture": "https://lh3.googleusercontent.test/a/photo.jpg",
            "iat": now - 10 if expires_in > 0 else now - 7200,
            "exp": now + expires_in,
            **extra,
        }
        return jwt.encode(claims, key or self.keys[kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture
async def google_certs() -> AsyncIterator[FakeGoogle]:
    fake = FakeGoogle()
    fake.add_key()

    async def certs(request: web.Request) -> web.Response:
        fake.requests += 1
        return web.json_response(
            fake.certs, headers={"Cache-Control": f"public, max-age={fake.max_age}"}
        )

    app = web.Application()
    app.router.add_get("/oauth2/v1/certs", certs)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("/oauth2/v1/certs"))
    yield fake
    await server.close()
