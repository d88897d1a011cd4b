"""Account rules: passwords, PINs, reset and refresh tokens, lockout. Pure: no I/O here."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from server.domain.errors import InvalidInput

PIN_TTL = timedelta(minutes=10)
PIN_MAX_ATTEMPTS = 5
PIN_RESEND_INTERVAL = timedelta(minutes=1)
RESET_TTL = timedelta(minutes=30)
# A sign-up with a taken address emails its owner; more often than this would let anyone
# flood their inbox through the register endpoint.
ACCOUNT_EXISTS_NOTICE_INTERVAL = timedelta(hours=1)
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)
PASSWORD_MIN_LENGTH = 8
# argon2 work is bounded by the input; refuse megabyte "passwords" before hashing them.
PASSWORD_MAX_LENGTH = 1024


@dataclass(frozen=True)
class AuthPolicy:
    """The configurable part of the rules (from settings)."""

    access_ttl: timedelta
    refresh_ttl: timedelta
    per_email_per_minute: int
    per_address_per_minute: int


def password_problems(password: str, email: str) -> list[dict[str, str]]:
    """Which password rules fail, each as {rule, message}; empty when the password is fine."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(
            {"rule": "min_length", "message": f"Use at least {PASSWORD_MIN_LENGTH} characters."}
        )
    if password.strip().casefold() == email.strip().casefold():
        problems.append({"rule": "not_email", "message": "The password must not be the email."})
    return problems


def check_password(password: str, email: str) -> None:
    if problems := password_problems(password, email):
        raise InvalidInput(
            "The password is too weak: " + " ".join(p["message"] for p in problems),
            code="weak_password",
            details=problems,
        )


def new_pin() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def pin_digest(pin: str, *, user_id: object, email: str) -> str:
    # Bound to the user and the address so a digest cannot be replayed for another account.
    return hashlib.sha256(f"{user_id}:{email}:{pin}".encode()).hexdigest()


def pin_matches(pin: str, digest: str, *, user_id: object, email: str) -> bool:
    return hmac.compare_digest(pin_digest(pin, user_id=user_id, email=email), digest)


def new_opaque_token() -> str:
    """Refresh and reset tokens: 256 random bits; only their digest is stored."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
