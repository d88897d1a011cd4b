"""What an admin does in the console, as scripts that run on the browser's loop (`await ui(...)`).
They find things the way a person (or a screen reader) does: by role, label and visible text."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect


async def sign_in(page: Page, url: str, email: str, password: str) -> None:
    await page.goto(url)
    await page.get_by_label("Correo de administrador").fill(email)
    await page.get_by_label("Contraseña", exact=True).fill(password)
    await page.get_by_role("button", name="Entrar").click()


async def signed_in(page: Page, url: str, email: str, password: str) -> None:
    await sign_in(page, url, email, password)
    await expect(page.get_by_role("heading", level=1, name="Usuarios")).to_be_visible()


async def go(page: Page, hash_: str) -> None:
    """An in-app navigation (the address's hash), not a reload."""
    await page.evaluate("h => { location.hash = h; }", hash_)


async def open_section(page: Page, name: str) -> None:
    await page.get_by_role("navigation").get_by_role("link", name=name).click()
    await expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()


async def audit_rows(page: Page) -> list[dict[str, Any]]:
    """The audit table's rows as {seq, action, target} (what the admin reads)."""
    return await page.evaluate(
        """() => [...document.querySelectorAll("tbody tr[data-seq]")].map((tr) => ({
            seq: Number(tr.dataset.seq), action: tr.cells[2].innerText,
            target: tr.cells[4].innerText }))"""
    )
