"""Account journeys through HTTP, for the accounts tests: sign up, read the PIN, log in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.mail import read_emails

PASSWORD = "correct horse battery"


async def last_email(data_dir: Path, to: str, template: str, count: int = 1) -> dict[str, Any]:
    return (await read_emails(data_dir, to=to, template=template, count=count))[-1]


async def register(client, email: str, *, name: str = "Ana", password: str = PASSWORD) -> dict:
    resp = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": password, "name": name}
    )
    assert resp.status == 202, await resp.text()  # the same whether or not the email is taken
    return await resp.json()


async def pin_for(data_dir: Path, email: str, count: int = 1) -> str:
    return (await last_email(data_dir, email, "verify_email", count))["params"]["pin"]


async def signup(client, data_dir: Path, email: str, *, name: str = "Ana") -> dict:
    """Register and verify; returns the login session."""
    await register(client, email, name=name)
    pin = await pin_for(data_dir, email)
    resp = await client.post("/api/v1/auth/verify-email", json={"email": email, "pin": pin})
    assert resp.status == 200, await resp.text()
    return await login(client, email)


async def login(client, email: str, password: str = PASSWORD) -> dict:
    resp = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert resp.status == 200, await resp.text()
    return await resp.json()


def bearer(session: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


async def error_of(resp) -> tuple[int, str]:
    body = await resp.json()
    return resp.status, body["error"]["code"]
