"""The console's journeys in chromium, each against the real app on a loopback port: blocking a
user (seen live in another tab's audit feed; the user's socket cut), publishing a rule (listed,
versioned, and in a user's inbox), a tampered audit entry turning the chain badge, a user
account refused at sign-in, and sessions that expire (refreshed quietly) or end (sign-in again,
with the reason)."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
from datetime import timedelta
from pathlib import Path

from playwright.async_api import Page, expect

from server.keys import REALTIME_HUB, SETTINGS
from tests.accounts_flow import PASSWORD, signup
from tests.admin_helpers import ADMIN_API
from tests.console.steps import audit_rows, go, open_section, sign_in, signed_in
from tests.notifications.helpers import inbox
from tests.realtime.conftest import relayed


async def wait_for(check, within: float = 10.0):
    async with asyncio.timeout(within):
        while not (found := await check()):  # noqa: ASYNC110 (the consumers' work)
            await asyncio.sleep(0.1)
        return found


async def test_blocking_a_user_shows_live_in_the_audit_feed_and_cuts_their_socket(
    ui, admins, users, sockets
):
    admin = await admins.create("Ada Admin")
    target, _other = await users.create("Zoe Target"), await users.create("Yago Other")
    user_socket = await sockets().connect(target.token)

    feed = await ui.open()  # one tab watches the audit feed...
    await ui(signed_in(feed, ui.url, admin.email, admin.password))
    await ui(open_section(feed, "Auditoría"))
    await ui(expect(feed.get_by_role("status").filter(has_text="En directo")).to_be_visible())
    await ui(feed.evaluate("() => { window.notReloaded = true; }"))

    tab = await ui.open()  # ...another searches the user and blocks them
    await ui(signed_in(tab, ui.url, admin.email, admin.password))
    await ui(tab.get_by_label("Nombre o correo").fill("zoe"))
    await ui(tab.get_by_role("button", name="Buscar").click())
    rows = tab.get_by_role("table").get_by_role("row")
    await ui(expect(rows).to_have_count(2))  # the header and Zoe
    await ui(tab.get_by_role("link", name="Zoe Target").click())
    await ui(expect(tab.get_by_role("heading", level=1, name="Zoe Target")).to_be_visible())
    await ui(tab.get_by_label("Motivo").fill("spam en los foros"))
    await ui(tab.get_by_label("Hasta").fill("2026-02-01T10:00"))  # optional: lifts itself then
    await ui(tab.get_by_role("button", name="Bloquear usuario").click())
    await ui(expect(tab.get_by_role("heading", level=2, name="Bloqueado")).to_be_visible())
    await ui(expect(tab.get_by_text("spam en los foros")).to_be_visible())
    await ui(expect(tab.get_by_text("1 feb 2026, 10:00")).to_be_visible())

    ended = await user_socket.wait_for("session.ended", within=5)
    assert ended[0]["code"] == "account_blocked"
    await user_socket.wait_until(lambda: not user_socket.sio.connected)

    block_row = feed.get_by_role("row").filter(has_text="user.block")
    await ui(expect(block_row).to_have_count(1))
    assert await ui(feed.evaluate("() => window.notReloaded === true"))  # live, not reloaded
    [entry] = [r for r in await ui(audit_rows(feed)) if r["action"] == "user.block"]
    assert entry["target"] == f"user {str(target.id)[:8]}"

    await ui(tab.get_by_role("button", name="Desbloquear").click())
    await ui(expect(tab.get_by_role("heading", level=2, name="Bloquear")).to_be_visible())
    await ui(expect(feed.get_by_role("row").filter(has_text="user.unblock")).to_have_count(1))


async def publish(page: Page, title: str, text: str, when: str) -> None:
    await page.get_by_label("Título").fill(title)
    await page.get_by_label("Texto").fill(text)
    await page.get_by_label("Vigente desde").fill(when)
    await page.get_by_role("button", name="Publicar").click()


async def test_a_rule_published_in_the_console_is_listed_versioned_and_reaches_the_inbox(
    ui, client, admins, users
):
    admin, reader = await admins.create(), await users.create("Rita Reader")
    page = await ui.open()
    await ui(signed_in(page, ui.url, admin.email, admin.password))
    await ui(open_section(page, "Normas"))
    await ui(page.get_by_role("link", name="Nueva norma").click())
    # A date before the server's clock: the API's refusal is told in words, nothing is made.
    await ui(publish(page, "Respeto", "Sin insultos.", "2025-06-01T10:00"))
    await ui(
        expect(page.get_by_role("alert")).to_have_text("La fecha de vigencia debe ser futura.")
    )
    await ui(page.get_by_label("Vigente desde").fill("2026-03-01T10:00"))
    await ui(page.get_by_role("button", name="Publicar").click())
    await ui(expect(page.get_by_role("heading", level=1, name="Respeto")).to_be_visible())

    await ui(page.get_by_label("Texto").fill("Sin insultos ni amenazas."))
    await ui(page.get_by_role("button", name="Publicar nueva versión").click())
    versions = page.get_by_role("table", name="Versiones de la norma").get_by_role("row")
    await ui(expect(versions).to_have_count(3))  # the header, versions 1 and 2
    compare = page.locator(".compare")
    await ui(expect(compare.locator("ins")).to_have_text(["insultos ni amenazas."]))
    await ui(expect(compare.locator("del")).to_have_text(["insultos."]))

    await ui(open_section(page, "Normas"))
    listed = page.get_by_role("row").filter(has_text="Respeto")
    await ui(expect(listed).to_have_count(1))
    await ui(expect(listed.get_by_role("cell").nth(1)).to_have_text("2"))

    async def told() -> list:
        items = (await inbox(client, reader))["items"]
        return [i for i in items if i["type"] == "rule.published"]

    found = await wait_for(told)
    assert all("Respeto" in item["title"] for item in found), found


async def withdraw(page: Page, *, confirm: bool) -> None:
    """Press "Retirar norma" and answer the browser's confirmation."""

    async def answer(dialog) -> None:
        await (dialog.accept() if confirm else dialog.dismiss())

    page.once("dialog", answer)
    await page.get_by_role("button", name="Retirar norma").click()


async def test_withdrawing_a_rule_asks_first_then_takes_it_off_the_list(ui, client, admins):
    admin = await admins.create()
    body = {"title": "Puntualidad", "description": "D", "effective_from": "2026-03-01T00:00:00Z"}
    resp = await client.post(f"{ADMIN_API}/rules", json=body, headers=admin.headers)
    assert resp.status == 201
    rule = f"{ADMIN_API}/rules/{(await resp.json())['id']}"
    page = await ui.open()
    await ui(signed_in(page, ui.url, admin.email, admin.password))
    await ui(open_section(page, "Normas"))
    await ui(page.get_by_role("link", name="Puntualidad").click())
    await ui(expect(page.get_by_role("heading", level=1, name="Puntualidad")).to_be_visible())

    await ui(withdraw(page, confirm=False))  # changed their mind: nothing happens
    await ui(expect(page.get_by_role("heading", level=1, name="Puntualidad")).to_be_visible())
    assert (await client.get(rule, headers=admin.headers)).status == 200

    await ui(withdraw(page, confirm=True))
    await ui(expect(page.get_by_role("heading", level=1, name="Normas")).to_be_visible())
    await ui(expect(page.get_by_role("row").filter(has_text="Puntualidad")).to_have_count(0))
    assert (await client.get(rule, headers=admin.headers)).status == 404


async def test_an_altered_audit_entry_turns_the_chain_badge_to_broken(
    ui, client, admins, users, mongo
):
    admin = await admins.create()
    for user in [await users.create() for _ in range(3)]:
        resp = await client.post(
            f"{ADMIN_API}/users/{user.id}/block", json={"reason": "x"}, headers=admin.headers
        )
        assert resp.status == 200
    blocks = {"action": "user.block"}
    await wait_for(lambda: _count(mongo, blocks, 3))

    page = await ui.open()
    await ui(signed_in(page, ui.url, admin.email, admin.password))
    await ui(page.get_by_label("Idioma").select_option("en"))  # the words, in English
    await ui(open_section(page, "Audit"))
    badge = page.locator(".chain [role=status]")
    await ui(expect(badge).to_contain_text("intact"))

    second = await mongo.audit_log.find_one(blocks, sort=[("seq", 1)], skip=1)
    await mongo.audit_log.update_one({"_id": second["_id"]}, {"$set": {"changes": {"x": [1, 2]}}})
    await ui(page.get_by_role("button", name="Verify chain").click())
    await ui(expect(badge).to_have_text(f"broken at seq {second['seq']}"))

    async def export_csv() -> tuple[Path, str]:
        async with page.expect_download() as info:
            await page.get_by_role("button", name="Export CSV").click()
        download = await info.value
        return await download.path(), download.suggested_filename

    saved, name = await ui(export_csv())
    text = await asyncio.to_thread(Path(saved).read_text)
    lines = list(csv.reader(io.StringIO(text)))
    assert name == "audit.csv" and lines[0][:2] == ["seq", "at"]
    assert [int(row[0]) for row in lines[1:]] == [
        e["seq"] async for e in mongo.audit_log.find().sort("seq", 1)
    ]
    await ui(expect(page.get_by_text("An entry was altered.")).to_be_visible())


async def _count(mongo, query: dict, at_least: int) -> bool:
    return await mongo.audit_log.count_documents(query) >= at_least


async def test_a_user_account_cannot_sign_in_and_is_told_why(ui, client, settings):
    email = "lucia@example.com"
    await signup(client, settings.data_dir, email, name="Lucía")  # a real, working user login
    page = await ui.open()
    await ui(sign_in(page, ui.url, email, PASSWORD))
    alert = page.get_by_role("alert")
    await ui(expect(alert).to_contain_text("Esta consola solo admite cuentas de administrador"))
    await ui(expect(page.get_by_role("heading", level=1)).to_have_text("Consola de administración"))
    assert await ui(page.evaluate("() => sessionStorage.length")) == 0
    await ui(expect(page.get_by_role("navigation")).to_be_hidden())


async def test_an_expired_token_is_refreshed_quietly_and_a_revoked_one_signs_out(
    ui, app, client, admins, clock, db
):
    admin, other = await admins.create("Ada"), await admins.create("Otto")
    page = await ui.open()
    await ui(signed_in(page, ui.url, admin.email, admin.password))
    clock.advance(timedelta(minutes=app[SETTINGS].access_token_minutes + 1))
    await ui(open_section(page, "Normas"))  # a 401 token_expired, refreshed and retried
    await ui(expect(page.get_by_text("Todavía no hay normas.")).to_be_visible())
    await ui(expect(page.get_by_role("alert")).to_be_hidden())
    rotated = (
        "SELECT count(*) FROM admin_refresh_tokens WHERE admin_id = $1 AND used_at IS NOT NULL"
    )
    assert await db.fetchval(rotated, admin.id) == 1  # the login's token, spent once

    fresh = {"Authorization": f"Bearer {admins.token(other.id)}"}  # at the clock's new time
    resp = await client.delete(f"{ADMIN_API}/admins/{admin.id}", headers=fresh)
    assert resp.status == 204
    # The console's socket is told at once, back to sign-in with the reason: `admin_removed`
    # when the removal's event ends the socket first, `token_revoked` when the auth sweep does.
    reasons = re.compile(
        "Tu cuenta de administrador fue eliminada; la sesión terminó."
        "|Tu sesión fue revocada. Vuelve a entrar."
    )
    await ui(expect(page.get_by_role("status")).to_have_text(reasons))
    await ui(expect(page.get_by_label("Correo de administrador")).to_be_visible())
    assert await ui(page.evaluate("() => sessionStorage.length")) == 0


async def test_filters_live_in_the_address_and_signing_out_ends_the_session(
    ui, admins, users, mongo, clock, db
):
    admin = await admins.create()
    ana = await users.create("Ana Active")
    blocked = await users.create("Bruno Blocked", status="blocked")
    now = clock.now()
    for status, error in (("failed", "FCM 503: unavailable"), ("sent", None)):
        await mongo.notification_deliveries.insert_one({
            "_id": str(uuid.uuid4()), "user_id": str(ana.id), "channel": "push", "attempts": 1,
            "type": "grade.published", "status": status, "last_error": error,
            "created_at": now, "updated_at": now,
        })  # fmt: skip
    page = await ui.open()
    await ui(signed_in(page, ui.url, admin.email, admin.password))
    await ui(page.get_by_label("Estado").select_option("blocked"))
    await ui(page.get_by_role("button", name="Buscar").click())
    await ui(expect(page.get_by_role("link", name="Bruno Blocked")).to_be_visible())
    await ui(expect(page.get_by_role("link", name="Ana Active")).to_be_hidden())
    assert "status=blocked" in page.url
    await ui(go(page, f"#/users/{blocked.id}"))
    await ui(expect(page.get_by_role("heading", level=1, name="Bruno Blocked")).to_be_visible())

    await ui(open_section(page, "Envíos"))
    rows = page.get_by_role("table").get_by_role("row")
    await ui(expect(rows).to_have_count(3))
    await ui(page.get_by_label("Estado").select_option("failed"))
    await ui(page.get_by_role("button", name="Filtrar").click())
    await ui(expect(rows).to_have_count(2))
    await ui(expect(rows.nth(1)).to_contain_text("FCM 503: unavailable"))
    assert "status=failed" in page.url

    await ui(page.get_by_role("button", name="Salir").click())
    await ui(expect(page.get_by_role("status")).to_have_text("Has cerrado la sesión."))
    assert await ui(page.evaluate("() => sessionStorage.length")) == 0
    live = "SELECT count(*) FROM admin_refresh_tokens WHERE admin_id = $1 AND revoked_at IS NULL"
    assert await db.fetchval(live, admin.id) == 0


async def test_the_audit_feed_resumes_after_a_dropped_connection_without_a_gap(
    ui, app, client, admins, users, mongo, db
):
    admin = await admins.create()
    first, second = await users.create("Uno"), await users.create("Dos")
    page = await ui.open()
    await ui(signed_in(page, ui.url, admin.email, admin.password))
    await ui(open_section(page, "Auditoría"))
    live = page.get_by_role("status").filter(has_text="En directo")
    await ui(expect(live).to_be_visible())
    await ui(page.evaluate("() => { window.notReloaded = true; }"))

    await ui(ui.context.set_offline(True))  # no reconnect gets through for now...
    hub = app[REALTIME_HUB]
    for state in hub.of_user(admin.id):
        hub.cut(state, "test")  # ...and the live connection drops at the TCP level
    await ui(expect(page.get_by_text("Reconectando…")).to_be_visible())
    for user in (first, second):  # recorded, audited and relayed while the console is away
        resp = await client.post(
            f"{ADMIN_API}/users/{user.id}/block", json={"reason": "x"}, headers=admin.headers
        )
        assert resp.status == 200
    await wait_for(lambda: _count(mongo, {"action": "user.block"}, 2))
    await relayed(db)  # the entries' envelopes are in the event log: only a replay brings them
    await ui(expect(page.get_by_text("Reconectando…")).to_be_visible())
    await ui(ui.context.set_offline(False))

    await ui(expect(live).to_be_visible(timeout=15_000))
    await ui(expect(page.get_by_role("row").filter(has_text="user.block")).to_have_count(2))
    assert await ui(page.evaluate("() => window.notReloaded === true"))
    shown = [r["seq"] for r in await ui(audit_rows(page))]
    logged = [e["seq"] async for e in mongo.audit_log.find().sort("seq", -1)]
    assert shown == logged  # every entry once, newest first: nothing missed at the seam

    await ui(page.get_by_role("button", name="Pausar").click())
    third = await users.create("Tres")
    resp = await client.post(
        f"{ADMIN_API}/users/{third.id}/block", json={"reason": "x"}, headers=admin.headers
    )
    assert resp.status == 200
    await ui(expect(page.get_by_text("En pausa · 1 nuevas en espera")).to_be_visible())
    blocks = page.get_by_role("row").filter(has_text="user.block")
    await ui(expect(blocks).to_have_count(2))
    await ui(page.get_by_role("button", name="Reanudar").click())
    await ui(expect(blocks).to_have_count(3))
    await ui(expect(live).to_be_visible())
