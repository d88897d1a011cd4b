"""Scenarios (see event_scenarios.py) for the account events: each caused through the auth
routes by an account made through sign-up, as the app does."""

from __future__ import annotations

import uuid

from server.keys import SETTINGS
from tests.accounts_flow import PASSWORD, last_email, login, signup
from tests.factories import TestUser
from tests.realtime.event_scenarios import Expect, World, scenario, user

AUTH = "/api/v1/auth"


async def signed_up(w: World, email: str) -> TestUser:
    session = await signup(w.client, w.app[SETTINGS].data_dir, email)
    return TestUser(uuid.UUID(session["user"]["id"]), email, "Ana", session["access_token"])


@scenario("account.locked")
async def _account_locked(w: World) -> Expect:
    ana, stranger = await signed_up(w, "ana@example.com"), await w.users.create("Xavi")
    a, x = await w.listen(ana, stranger)
    for _ in range(5):
        body = {"email": ana.email, "password": "not the password"}
        resp = await w.client.post(f"{AUTH}/login", json=body)
    assert resp.status == 429  # the fifth failure locks the account
    return Expect([(a, user(ana))], [x])


@scenario("account.password_changed")
async def _password_changed(w: World) -> Expect:
    ana, stranger = await signed_up(w, "ana@example.com"), await w.users.create("Xavi")
    (x,) = await w.listen(stranger)
    resp = await w.client.post(f"{AUTH}/password/forgot", json={"email": ana.email})
    assert resp.status == 202
    mail = await last_email(w.app[SETTINGS].data_dir, ana.email, "password_reset")
    reset = {"token": mail["params"]["token"], "new_password": "a brand new secret"}
    assert (await w.client.post(f"{AUTH}/password/reset", json=reset)).status == 200
    # Every session of Ana's ended with the reset; her next one resumes her stream.
    session = await login(w.client, ana.email, "a brand new secret")
    a = await w.sockets().connect(session["access_token"], resume={user(ana): 0})
    w.listener[a] = ana
    return Expect([(a, user(ana))], [x])


@scenario("account.google_linked")
async def _google_linked(w: World) -> Expect:
    ana, stranger = await signed_up(w, "ana@example.com"), await w.users.create("Xavi")
    a, x = await w.listen(ana, stranger)
    link = {"id_token": w.google.id_token(sub="42", email=ana.email), "password": PASSWORD}
    assert (await w.client.post(f"{AUTH}/google/link", json=link)).status == 200
    return Expect([(a, user(ana))], [x])
