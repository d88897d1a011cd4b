"""The admin console in a real browser: Debian's chromium (/usr/bin/chromium, never a browser
Playwright downloads) driven by Playwright for Python, against the app served on a loopback port.

Playwright's async API runs on a thread of its own with its own event loop, one browser per test
module; the test's loop keeps serving the app, the stores and the test's socket clients while the
browser waits. A test sends work to the browser with `await ui(coroutine)`; the coroutine (a
Playwright call, or an `async def` script of several) runs on the browser's loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.settings import Settings
from tests.realtime.conftest import sockets  # noqa: F401 (a fixture, used by name)

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The audit feed and the inbox come from the durable consumers; fast loops keep tests short.
    settings.consumers_enabled = True
    settings.consumer_poll_seconds = 0.1
    settings.realtime_relay_poll_seconds = 0.2
    settings.realtime_auth_sweep_seconds = 0.2
    return settings


class BrowserThread:
    """A chromium and the thread whose event loop drives it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="browser", daemon=True)
        self.playwright: Any = None
        self.browser: Any = None

    def start(self) -> None:
        from playwright.async_api import async_playwright

        async def launch() -> None:
            self.playwright = await async_playwright().start()
            self.browser = await self.playwright.chromium.launch(executable_path=str(CHROMIUM))

        self.thread.start()
        self.wait(launch())

    def wait(self, coro: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)  # type: ignore[arg-type]

    async def run(self, coro: Awaitable[Any]) -> Any:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))  # type: ignore[arg-type]

    def stop(self) -> None:
        async def close() -> None:
            await self.browser.close()
            await self.playwright.stop()

        try:
            self.wait(close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserThread]:
    if not CHROMIUM.exists():
        pytest.skip(f"no browser at {CHROMIUM}: `apt-get install chromium` (.ci/run does)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:  # pragma: no cover - the dev lock pins it
        pytest.skip("the playwright package is not installed: `make .venv/.installed-stamp`")
    thread = BrowserThread()
    thread.start()
    yield thread
    thread.stop()


class Console:
    """One browser tab on the console at `url`, with what it logged."""

    def __init__(self, browser: BrowserThread, url: str) -> None:
        self.browser = browser
        self.url = url
        self.context: Any = None
        self.page: Any = None
        self.problems: list[str] = []  # uncaught errors and CSP violations

    async def __call__(self, coro: Awaitable[Any]) -> Any:
        return await self.browser.run(coro)

    async def open(self, viewport: dict[str, int] = DESKTOP) -> Any:
        async def make() -> Any:
            if self.context is None:
                self.context = await self.browser.browser.new_context(
                    viewport=viewport, locale="es-ES", timezone_id="UTC"
                )
                self.context.set_default_timeout(10_000)
            page = await self.context.new_page()
            page.on("pageerror", lambda exc: self.problems.append(f"pageerror: {exc}"))
            page.on("console", self._console)
            return page

        page = await self(make())
        self.page = self.page or page
        return page

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.append(f"csp: {message.text}")

    async def close(self) -> None:
        if self.context is not None:
            await self(self.context.close())
            self.context = None


@pytest.fixture
async def ui(browser: BrowserThread, client) -> AsyncIterator[Console]:
    console = Console(browser, str(client.make_url("/admin")))
    yield console
    await console.close()
    assert console.problems == []  # no uncaught script error, nothing the CSP refused
