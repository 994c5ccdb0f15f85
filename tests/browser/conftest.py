"""Fixtures for the browser tier: Chromium through Playwright, against a real server process.

Why the async Playwright API: pytest runs every async test and fixture on one
session-wide asyncio loop (asyncio_mode=auto), and Playwright's sync API refuses
to start inside a running loop.

Chromium is Debian's (or CHROMIUM_PATH); where there is none, every browser
test is skipped with one line that says how to enable them.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests.browser.pages import Authenticator, sign_in
from tests.browser.server import LiveServer, ServerDidNotStart, running_server

NO_CHROMIUM = "browser tests need Chromium: apt-get install chromium (or set CHROMIUM_PATH)"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Fail a step in seconds, not after Playwright's default 30 s, so a broken page is quick to see.
STEP_TIMEOUT_MS = 10_000


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH", "").strip()
    candidates = [configured] if configured else ["/usr/bin/chromium", shutil.which("chromium") or ""]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Skipped here rather than in a fixture so that every skip has this one location,
    # and pytest's summary folds the whole tier into a single line.
    if chromium_path() is None:
        pytest.skip(NO_CHROMIUM)


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    assert path is not None, NO_CHROMIUM
    return path


@pytest.fixture(scope="session")
def live_server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    try:
        with running_server(tmp_path_factory.mktemp("browser-server")) as server:
            yield server
    except ServerDidNotStart as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def demo_authenticator(live_server: LiveServer) -> Authenticator:
    """The demo user's authenticator app, shared so that no test offers a code another one spent."""
    return Authenticator(live_server.demo.totp_secret)


@pytest.fixture(scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


_VISITORS = itertools.count(1)


def visitor_address() -> str:
    """A client address of its own for each browser context (RFC 5737's documentation ranges), sent as
    X-Forwarded-For to a server that trusts this machine as its proxy (server.py)."""
    number = next(_VISITORS)
    block = "198.51.100" if number <= 254 else "203.0.113"
    return f"{block}.{(number - 1) % 254 + 1}"


async def new_context(browser: Browser, live_server: LiveServer, *, javascript: bool = True) -> BrowserContext:
    """A fresh browser profile (no cookies, as a first-time visitor, from an address of its own) with the pages'
    CSP left on."""
    context = await browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        java_script_enabled=javascript,
        extra_http_headers={"X-Forwarded-For": visitor_address()},
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context


@pytest.fixture
async def context(browser: Browser, live_server: LiveServer) -> AsyncIterator[BrowserContext]:
    context = await new_context(browser, live_server)
    yield context
    await context.close()


@pytest.fixture(scope="module")
async def staff(
    browser: Browser, live_server: LiveServer, demo_authenticator: Authenticator
) -> AsyncIterator[BrowserContext]:
    """A browser profile in which the demo user (a platform admin, and an admin of the demo service) is signed in,
    shared by one module's tests."""
    context = await new_context(browser, live_server)
    page = await context.new_page()
    await page.goto("/sign-in")
    await sign_in(page, live_server.demo.email, live_server.demo.password, demo_authenticator)
    await expect(page).to_have_url(f"{live_server.url}/admin")
    await page.close()
    yield context
    await context.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest.fixture
async def page_without_javascript(browser: Browser, live_server: LiveServer) -> AsyncIterator[Page]:
    context = await new_context(browser, live_server, javascript=False)
    yield await context.new_page()
    await context.close()
