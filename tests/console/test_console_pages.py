"""Every page of the console at 1280x800 and at 390x844, with data on it: axe-core (vendored
from npm, injected into the page) finds no serious or critical violation, and a full-page
screenshot of each lands in test-artifacts/console/. The sign-in and a permission switch are
worked with the keyboard alone."""

from __future__ import annotations

import uuid
from datetime import timedelta

from playwright.async_api import Page, expect

from tests.admin_helpers import ADMIN_API
from tests.console.conftest import ARTIFACTS, AXE, DESKTOP, PHONE
from tests.console.steps import go
from tests.course_helpers import create_course, enroll

SERIOUS = ("serious", "critical")
# Text a page should never show: a missing value printed as is.
STRAY_TEXT = """() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const found = [];
    while (walker.nextNode()) {
        const text = walker.currentNode.textContent.trim();
        if (["null", "undefined", "NaN"].includes(text) || text.includes("[object ")) {
            found.push(`stray text: ${text}`);
        }
    }
    return found;
}"""


async def seed(client, admins, users, mongo, clock) -> dict:
    admin = await admins.create("Ada Admin")
    ana, bruno, sam = [
        await users.create(n) for n in ("Ana Active", "Bruno Blocked", "Sam Student")
    ]
    course = await create_course(client, ana)
    await enroll(client, sam, course["id"])
    until = (clock.now() + timedelta(days=7)).isoformat()
    block = {"reason": "Spam repetido", "until": until}
    resp = await client.post(
        f"{ADMIN_API}/users/{bruno.id}/block", json=block, headers=admin.headers
    )
    assert resp.status == 200
    rule = {"title": "Respeto", "description": "Sin insultos.",
            "effective_from": "2026-03-01T00:00:00Z"}  # fmt: skip
    resp = await client.post(f"{ADMIN_API}/rules", json=rule, headers=admin.headers)
    rule_id = (await resp.json())["id"]
    change = {"description": "Sin insultos ni amenazas."}
    resp = await client.patch(f"{ADMIN_API}/rules/{rule_id}", json=change, headers=admin.headers)
    assert resp.status == 200
    now = clock.now()
    await mongo.notification_deliveries.insert_one({
        "_id": str(uuid.uuid4()), "user_id": str(ana.id), "channel": "email",
        "type": "rule.published", "status": "failed", "attempts": 2, "email": ana.email,
        "last_error": "Brevo 502: upstream unavailable", "created_at": now, "updated_at": now,
    })  # fmt: skip
    return {"admin": admin, "ana": ana, "bruno": bruno, "rule_id": rule_id}


# (file name, address, something that shows the page has loaded)
def pages(data: dict) -> list[tuple[str, str, str]]:
    return [
        ("users", "#/users", "Bruno Blocked"),
        ("user", f"#/users/{data['ana'].id}", "Puede publicar en foros"),
        ("user-blocked", f"#/users/{data['bruno'].id}", "Spam repetido"),
        ("rules", "#/rules", "Respeto"),
        ("rule-new", "#/rules/new", "Publicar norma"),
        ("rule-versions", f"#/rules/{data['rule_id']}", "Comparar versiones"),
        ("audit", "#/audit", "rule.update"),
        ("deliveries", "#/deliveries", "Brevo 502: upstream unavailable"),
        ("health", "#/health", "Procesos"),
    ]


async def serious_violations(page: Page) -> list[str]:
    if not await page.evaluate("() => typeof axe !== 'undefined'"):
        await page.evaluate(AXE.read_text())  # CDP evaluation: the page's CSP does not apply
    result = await page.evaluate("async () => await axe.run(document)")
    assert len(result["passes"]) > 10  # axe really looked at the page
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]


async def walk(page: Page, url: str, data: dict, size: str) -> dict[str, list[str]]:
    """Sign in with the keyboard, then visit every page: axe, and a screenshot of each."""
    problems: dict[str, list[str]] = {}

    async def check(name: str) -> None:
        problems[name] = await serious_violations(page) + await page.evaluate(STRAY_TEXT)
        await page.screenshot(path=ARTIFACTS / f"{name}-{size}.png", full_page=True)

    await page.goto(url)
    await expect(page.get_by_label("Correo de administrador")).to_be_focused()
    await check("signin")
    await page.keyboard.type(data["admin"].email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(data["admin"].password)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1, name="Usuarios")).to_be_focused()
    for name, address, shown in pages(data):
        await go(page, address)
        await expect(page.get_by_text(shown, exact=True).first).to_be_visible()
        await check(name)
    return problems


async def test_every_page_passes_axe_and_is_screenshot_at_both_sizes(
    ui, client, admins, users, mongo, clock
):
    data = await seed(client, admins, users, mongo, clock)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    found = {}
    for viewport in (DESKTOP, PHONE):
        size = f"{viewport['width']}x{viewport['height']}"
        await ui.close()
        page = await ui.open(viewport)
        found[size] = await ui(walk(page, ui.url, data, size))
    serious = {f"{size}/{name}": v for size, by in found.items() for name, v in by.items() if v}
    assert serious == {}
    shots = sorted(p.name for p in ARTIFACTS.glob("*.png"))
    assert len(shots) >= 2 * (len(pages(data)) + 1), shots


async def test_a_permission_switch_works_from_the_keyboard(ui, admins, users, db):
    admin, ana = await admins.create(), await users.create("Ana Active")
    page = await ui.open()

    async def script() -> None:
        await page.goto(ui.url)
        await page.keyboard.type(admin.email)
        await page.keyboard.press("Tab")
        await page.keyboard.type(admin.password)
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", level=1, name="Usuarios")).to_be_focused()
        await go(page, f"#/users/{ana.id}")
        switch = page.get_by_role("switch", name="Puede publicar en foros")
        await expect(switch).to_be_checked()
        await switch.focus()
        await page.keyboard.press("Space")
        await expect(switch).not_to_be_checked()
        await expect(switch).to_be_enabled()  # the PATCH answered

    await ui(script())
    row = await db.fetchrow("SELECT * FROM user_permissions WHERE user_id = $1", ana.id)
    assert row is not None and row["can_post_forum"] is False and row["can_enroll"] is True
