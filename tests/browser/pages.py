"""What a person does in the browser: open a page in a language, sign in with a code from their app.

The Welsh words the tests look for are written out here, not read from the
catalogue, so a missing or wrong translation fails a test instead of passing
through it.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pyotp
from playwright.async_api import Page, Response, expect

LANGUAGES = ["en", "cy"]

TEXT = {
    "en": {
        "Email address": "Email address",
        "Password": "Password",
        "Confirm password": "Confirm password",
        "Continue": "Continue",
        "Sign in": "Sign in",
        "Enter your security code": "Enter your security code",
        "Code from your authenticator app": "Code from your authenticator app",
        "There is a problem": "There is a problem",
        "Error:": "Error:",
        "Enter your email address": "Enter your email address",
        "Page not found": "Page not found",
        "Cookies": "Cookies",
        "Digital services for public bodies": "Digital services for public bodies",
        "Create your password": "Create your password",
        "Set up your authenticator app": "Set up your authenticator app",
        "Secret key:": "Secret key:",
        "Your account is ready": "Your account is ready",
        "Reject analytics cookies": "Reject analytics cookies",
    },
    "cy": {
        "Email address": "Cyfeiriad e-bost",
        "Password": "Cyfrinair",
        "Confirm password": "Cadarnhau cyfrinair",
        "Continue": "Parhau",
        "Sign in": "Mewngofnodi",
        "Enter your security code": "Rhowch eich cod diogelwch",
        "Code from your authenticator app": "Cod o'ch ap dilysu",
        "There is a problem": "Mae problem wedi codi",
        "Error:": "Gwall:",
        "Enter your email address": "Rhowch eich cyfeiriad e-bost",
        "Page not found": "Heb ddod o hyd i'r dudalen",
        "Cookies": "Cwcis",
        "Digital services for public bodies": "Gwasanaethau digidol ar gyfer cyrff cyhoeddus",
        "Create your password": "Creu eich cyfrinair",
        "Set up your authenticator app": "Sefydlu eich ap dilysu",
        "Secret key:": "Allwedd gyfrinachol:",
        "Your account is ready": "Mae eich cyfrif yn barod",
        "Reject analytics cookies": "Gwrthod cwcis dadansoddol",
    },
}


class Authenticator:
    """An authenticator app that never offers a code the server has already accepted.

    The server accepts each 30-second time step once (RFC 6238 section 5.2) and
    allows one step of clock drift, so a second sign-in within one step uses the
    next step's code, and a third waits for the clock to move on.
    """

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last_step = 0

    async def code(self) -> str:
        while True:
            now_step = int(time.time()) // self.totp.interval
            step = max(now_step, self.last_step + 1)
            if step <= now_step + 1:
                break
            await asyncio.sleep(self.totp.interval - time.time() % self.totp.interval + 0.2)
        self.last_step = step
        return str(self.totp.at(step * self.totp.interval))


async def open_in(page: Page, path: str, language: str) -> Response:
    """Open `path` through the language switch (`?lang=`), as following the English or Cymraeg link does."""
    response = await page.goto(f"{path}{'&' if '?' in path else '?'}lang={language}")
    assert response is not None
    await expect(page.locator("html")).to_have_attribute("lang", language)
    return response


async def sign_in(page: Page, email: str, password: str, authenticator: Authenticator) -> None:
    """On the sign-in page: email and password, then the code from the app; ends where sign-in leads."""
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.get_by_role("button", name="Continue").click()
    await expect(page).to_have_url(f"{page_origin(page)}/sign-in/code")
    await page.get_by_label("Enter your security code").fill(await authenticator.code())
    await page.get_by_role("button", name="Continue").click()


def page_origin(page: Page) -> str:
    scheme, rest = page.url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


async def screenshot(page: Page, name: str) -> None:
    """Save a full-page screenshot when GOVPLATFORM_BROWSER_SCREENSHOTS names a folder (for a person to look at)."""
    folder = os.environ.get("GOVPLATFORM_BROWSER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
