"""The browser tier: a real `govplatform serve` process on a fresh SQLite database, driven by Chromium.

Why a real server and not the ASGI app in this process: the browser must reach
the pages over TCP, and a separate process is what operators run (`serve` with
its in-process worker), so start-up, static assets and headers are tested too.

Why the async Playwright API: pytest runs every async test and fixture on one
session-wide asyncio loop (asyncio_mode=auto), and Playwright's sync API refuses
to start inside a running loop.

Chromium is Debian's (or CHROMIUM_PATH); where there is none, every browser
test is skipped with one line that says how to enable them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.browser.pages import Authenticator

ROOT = Path(__file__).resolve().parents[2]
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
SERVER_START_SECONDS = 30.0
# Fail a step in seconds, not after Playwright's default 30 s, so a broken page is quick to see.
STEP_TIMEOUT_MS = 10_000


@dataclasses.dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    totp_secret: str
    organisation_id: str
    service_id: str


@dataclasses.dataclass(frozen=True)
class LiveServer:
    url: str
    env: dict[str, str]
    log: Path
    demo: DemoUser

    def cli(self, *args: str) -> str:
        """Run `govplatform ARGS` against this server's database and settings; returns its stdout."""
        return run_cli(self.env, *args)


def run_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "govplatform", *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, f"govplatform {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH", "").strip()
    candidates = [configured] if configured else ["/usr/bin/chromium", shutil.which("chromium") or ""]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session", autouse=True)
def chromium() -> str:
    """The Chromium to drive; skips the whole tier (one summary line, one place) where there is none."""
    path = chromium_path()
    if path is None:
        pytest.skip(NO_CHROMIUM)
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _server_env(var_dir: Path, url: str) -> dict[str, str]:
    # Nothing from the outer shell's GOVPLATFORM_* may point this server at another database.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GOVPLATFORM_")}
    env.update({
        "GOVPLATFORM_ENVIRONMENT": "test",
        "GOVPLATFORM_VAR_DIR": str(var_dir),
        "GOVPLATFORM_DATABASE_URL": f"sqlite+aiosqlite:///{var_dir / 'browser.db'}",
        "GOVPLATFORM_FRONTEND_DIR": str(ROOT / "node_modules/govuk-frontend/dist/govuk"),
        "GOVPLATFORM_BASE_URL": url,
        "GOVPLATFORM_LOG_LEVEL": "warning",
    })
    return env


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"govplatform serve exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"govplatform serve did not answer /healthz within {SERVER_START_SECONDS:.0f} s:\n"
                f"{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def live_server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`govplatform serve --with-worker` on a fresh, migrated SQLite database seeded with the demo."""
    var_dir = tmp_path_factory.mktemp("browser-server")
    url = f"http://127.0.0.1:{_free_port()}"
    env = _server_env(var_dir, url)
    run_cli(env, "db", "upgrade")
    run_cli(env, "demo")
    demo = DemoUser(**json.loads((var_dir / "demo-credentials.json").read_text()))
    server = LiveServer(url, env, var_dir / "serve.log", demo)
    port = url.rsplit(":", 1)[1]
    with server.log.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "govplatform", "serve", "--host", "127.0.0.1", "--port", port, "--with-worker"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(url, process, server.log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def demo_authenticator(live_server: LiveServer) -> Authenticator:
    """The demo user's authenticator app, shared so that no test reuses a code another one spent."""
    return Authenticator(live_server.demo.totp_secret)


@pytest.fixture(scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def new_context(browser: Browser, live_server: LiveServer, **options: object) -> BrowserContext:
    context = await browser.new_context(base_url=live_server.url, locale="en-GB", **options)  # type: ignore[arg-type]
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context


@pytest.fixture
async def context(browser: Browser, live_server: LiveServer) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile: no cookies, as a first-time visitor."""
    context = await new_context(browser, live_server)
    yield context
    await context.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()
