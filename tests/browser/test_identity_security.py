"""The account's security pages in the browser, in English and Welsh: the list of ways a citizen proves it is
them, replacing the authenticator app (a wrong code first, then the new app's code) and the refusal to remove
the last second factor; every page axe-clean, with and without errors."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, Authenticator
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "a long passphrase for the browser"
WORDS = {
    "en": {"email": "Enter your email address to sign in", "password": "Password", "continue": "Continue",
           "code": "Enter the 6-digit security code shown in your authenticator app", "security": "Security",
           "link": "Security: how you prove it is you when you sign in", "change_app": "Change your authenticator app",
           "wrong": "not correct", "done": "Your authenticator app has been set up",
           "remove": "Remove your authenticator app", "remove_button": "Remove authenticator app",
           "last": "only way you have to prove it is you"},
    "cy": {"email": "Rhowch eich cyfeiriad e-bost i fewngofnodi", "password": "Cyfrinair", "continue": "Parhau",
           "code": "Rhowch y cod diogelwch 6 digid a ddangosir yn eich ap dilysu", "security": "Diogelwch",
           "link": "Diogelwch: sut rydych yn profi mai chi sydd yno wrth fewngofnodi",
           "change_app": "Newid eich ap dilysu", "wrong": "Nid yw’r cod a roesoch yn gywir",
           "done": "Mae eich ap dilysu wedi’i sefydlu", "remove": "Tynnu eich ap dilysu",
           "remove_button": "Tynnu’r ap dilysu", "last": "dyma’r unig ffordd sydd gennych"},
}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_security_pages_replace_the_app_and_keep_the_last_factor_axe_clean_in_english_and_welsh(
    page: Page, live_server: LiveServer, language: str
) -> None:
    words = WORDS[language]
    secret = pyotp.random_base32()
    email = f"resident-{secrets.token_hex(4)}@example.com"
    live_server.cli("identity", "citizen", "create", "--email", email, "--password", PASSWORD, "--totp-secret", secret)
    authenticator = Authenticator(secret)

    await page.goto(f"/identity/account?lang={language}")
    await page.get_by_label(words["email"]).fill(email)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["code"]).fill(await authenticator.code())
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_role("link", name=words["link"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["security"])
    await assert_no_accessibility_violations(page)

    await page.goto("/identity/account/security/app")
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["change_app"])
    await assert_no_accessibility_violations(page)
    new_secret = re.sub(r"\s", "", await page.locator("#secret-key").inner_text())
    await page.get_by_label(words["code"]).fill("000000" if pyotp.TOTP(new_secret).now() != "000000" else "111111")
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text(words["wrong"])
    await expect(page).to_have_title(re.compile(r"^(Error|Gwall): "))
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["code"]).fill(pyotp.TOTP(new_secret).now())
    await page.get_by_role("button", name=words["continue"]).click()
    assert urlsplit(page.url).path == "/identity/account/security"
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(words["done"])
    await assert_no_accessibility_violations(page)

    await page.goto("/identity/account/security/app/remove")
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["remove"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=words["remove_button"]).click()
    await expect(page.locator("#remove")).to_contain_text(words["last"])
    await assert_no_accessibility_violations(page)
