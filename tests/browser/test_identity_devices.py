"""A citizen's signed-in devices and account history in the browser, in English and Welsh: signed in in two
browsers, one lists both (this one marked), signs out everywhere and lands on a signed-out page, and the other
browser is signed out too; every page axe-clean, the devices page with an error too."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.conftest import new_context
from tests.browser.pages import LANGUAGES, Authenticator
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "a long passphrase for the browser"
DEVICES = "/identity/account/devices"
WORDS = {
    "en": {"email": "Enter your email address to sign in", "password": "Password", "continue": "Continue",
           "code": "Enter the 6-digit security code shown in your authenticator app",
           "devices": "Signed-in devices", "this": "This device", "device": "Chrome on Linux",
           "everywhere": "Sign out of every device", "done": "You have signed out of every device",
           "history": "Your account history", "signed_in": "Signed in", "sign_out": "Sign out",
           "gone": "That device is no longer signed in to your account", "account": "Your account"},
    "cy": {"email": "Rhowch eich cyfeiriad e-bost i fewngofnodi", "password": "Cyfrinair", "continue": "Parhau",
           "code": "Rhowch y cod diogelwch 6 digid a ddangosir yn eich ap dilysu",
           "devices": "Dyfeisiau sydd wedi mewngofnodi", "this": "Y ddyfais hon", "device": "Chrome ar Linux",
           "everywhere": "Allgofnodi ar bob dyfais", "done": "Rydych chi wedi allgofnodi ar bob dyfais",
           "history": "Hanes eich cyfrif", "signed_in": "Wedi mewngofnodi", "sign_out": "Allgofnodi",
           "gone": "Nid yw’r ddyfais honno wedi mewngofnodi i’ch cyfrif mwyach", "account": "Eich cyfrif"},
}  # fmt: skip


def _citizen(live_server: LiveServer) -> tuple[str, Authenticator]:
    secret = pyotp.random_base32()
    email = f"resident-{secrets.token_hex(4)}@example.com"
    live_server.cli("identity", "citizen", "create", "--email", email, "--password", PASSWORD, "--totp-secret", secret)
    return email, Authenticator(secret)


async def _sign_in_to_devices(page: Page, email: str, authenticator: Authenticator, language: str) -> None:
    words = WORDS[language]
    await page.goto(f"{DEVICES}?lang={language}")  # not signed in: to sign in, then back
    await page.get_by_label(words["email"]).fill(email)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["code"]).fill(await authenticator.code())
    await page.get_by_role("button", name=words["continue"]).click()
    assert urlsplit(page.url).path == DEVICES
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["devices"])


@pytest.mark.parametrize("language", LANGUAGES)
async def test_signing_out_everywhere_from_one_browser_signs_the_other_out_and_the_pages_are_accessible(
    browser: Browser, live_server: LiveServer, language: str
) -> None:
    words = WORDS[language]
    email, authenticator = _citizen(live_server)
    first, second = await new_context(browser, live_server), await new_context(browser, live_server)
    try:
        here, there = await first.new_page(), await second.new_page()
        await _sign_in_to_devices(there, email, authenticator, language)
        await _sign_in_to_devices(here, email, authenticator, language)

        devices = here.locator(".govuk-summary-card")
        await expect(devices).to_have_count(2)
        await expect(devices.nth(0)).to_contain_text(words["this"])
        await expect(devices.nth(1)).not_to_contain_text(words["this"])
        for index in range(2):
            await expect(devices.nth(index).get_by_role("heading", level=2)).to_contain_text(words["device"])
            await expect(devices.nth(index)).to_contain_text(words["signed_in"])
        await assert_no_accessibility_violations(here)

        # A device that is no longer signed in (its id changed under the button): refused with an error summary.
        await devices.nth(1).locator('input[name="device"]').evaluate("input => { input.value = 'gone'; }")
        await devices.nth(1).get_by_role("button", name=words["sign_out"]).click()
        await expect(here.get_by_role("alert")).to_contain_text(words["gone"])
        assert (await here.title()).startswith("Gwall:" if language == "cy" else "Error:")
        await assert_no_accessibility_violations(here)

        await here.goto("/identity/account/history")
        await expect(here.get_by_role("heading", level=1)).to_have_text(words["history"])
        await expect(here.get_by_role("table")).to_contain_text(words["device"])
        await assert_no_accessibility_violations(here)

        await here.goto(DEVICES)
        await here.get_by_role("button", name=words["everywhere"]).click()
        await expect(here.get_by_role("heading", level=1)).to_have_text(words["done"])
        await assert_no_accessibility_violations(here)

        await there.reload()  # the other browser is signed out: its account pages send it to sign in
        await expect(there.get_by_role("heading", level=1)).to_have_text(words["email"])
        await here.goto(DEVICES)
        await expect(here.get_by_role("heading", level=1)).to_have_text(words["email"])
    finally:
        await first.close()
        await second.close()
