"""The account's security pages in the browser, in English and Welsh: the list of ways a citizen proves it is
them, replacing the authenticator app (a wrong code first, then the new app's code) and the refusal to remove
the last second factor; adding, changing and removing the phone for security codes with the code read from the
SMS sandbox; every page axe-clean, with and without errors."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, Authenticator
from tests.browser.server import LiveServer
from tests.browser.test_identity_text_codes import _a_number, _code, _sandbox
from tests.browser.test_invitation_email import text_to

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


async def _sign_in(page: Page, words: dict[str, str], email: str, authenticator: Authenticator) -> None:
    await page.get_by_label(words["email"]).fill(email)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["code"]).fill(await authenticator.code())
    await page.get_by_role("button", name=words["continue"]).click()


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
    await _sign_in(page, words, email, authenticator)
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


def _texts_to(sandbox: Path, e164: str) -> int:
    lines = sandbox.read_text(encoding="utf-8").splitlines() if sandbox.exists() else []
    return sum(1 for found in map(json.loads, filter(None, lines)) if found["to"].lstrip("+") == e164.lstrip("+"))


PHONE_WORDS = {
    "en": {"add": "Add a phone number", "change": "Change your phone number", "check": "Check your phone",
           "code": "Enter the 6-digit code", "added": "Your phone number has been added",
           "changed": "Your phone number has been changed", "remove": "Remove your phone number",
           "remove_button": "Remove phone number", "removed": "Your phone number has been removed",
           "passkeys": "Manage passkeys"},
    "cy": {"add": "Ychwanegu rhif ffôn", "change": "Newid eich rhif ffôn", "check": "Gwiriwch eich ffôn",
           "code": "Rhowch y cod 6 digid", "added": "Mae eich rhif ffôn wedi’i ychwanegu",
           "changed": "Mae eich rhif ffôn wedi’i newid", "remove": "Tynnu eich rhif ffôn",
           "remove_button": "Tynnu’r rhif ffôn", "removed": "Mae eich rhif ffôn wedi’i dynnu",
           "passkeys": "Rheoli allweddi mynediad"},
}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_phone_is_added_changed_and_removed_with_texted_codes_axe_clean_in_english_and_welsh(
    page: Page, live_server: LiveServer, language: str
) -> None:
    words, phone_words = WORDS[language], PHONE_WORDS[language]
    secret = pyotp.random_base32()
    email = f"texter-{secrets.token_hex(4)}@example.com"
    live_server.cli("identity", "citizen", "create", "--email", email, "--password", PASSWORD, "--totp-secret", secret)
    await page.goto(f"/identity/account/security?lang={language}")
    await _sign_in(page, words, email, Authenticator(secret))
    assert urlsplit(page.url).path == "/identity/account/security"
    await expect(page.get_by_role("link", name=phone_words["passkeys"])).to_have_attribute(
        "href", "/identity/account/passkeys"
    )

    sandbox = _sandbox(live_server)
    for typed, e164, heading, done in (
        (*_a_number(), phone_words["add"], phone_words["added"]),
        (*_a_number(), phone_words["change"], phone_words["changed"]),
    ):
        await page.goto("/identity/account/security/phone")
        await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        await assert_no_accessibility_violations(page)
        await page.get_by_role("button", name=words["continue"]).click()  # no number: an error
        await expect(page).to_have_title(re.compile(r"^(Error|Gwall): "))
        await assert_no_accessibility_violations(page)
        await page.get_by_label(heading).fill(typed)
        before = _texts_to(sandbox, e164)  # the number may have had texts from another test of the session
        await page.get_by_role("button", name=words["continue"]).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(phone_words["check"])
        await expect(page.locator("#phone-number")).to_have_text(typed)
        await assert_no_accessibility_violations(page)
        code = _code(await text_to(sandbox, e164, after=before))
        await page.get_by_label(phone_words["code"]).fill("000000" if code != "000000" else "111111")
        await page.get_by_role("button", name=words["continue"]).click()
        await expect(page.locator(".govuk-error-summary")).to_be_visible()
        await expect(page).to_have_title(re.compile(r"^(Error|Gwall): "))
        await assert_no_accessibility_violations(page)
        await page.get_by_label(phone_words["code"]).fill(code)
        await page.get_by_role("button", name=words["continue"]).click()
        assert urlsplit(page.url).path == "/identity/account/security"
        await expect(page.locator(".govuk-notification-banner")).to_contain_text(done)
        await expect(page.locator(".govuk-summary-list")).to_contain_text(typed)
        await assert_no_accessibility_violations(page)

    await page.goto("/identity/account/security/phone/remove")
    await expect(page.get_by_role("heading", level=1)).to_have_text(phone_words["remove"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=phone_words["remove_button"]).click()
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(phone_words["removed"])
    await expect(page.get_by_role("link", name=phone_words["add"])).to_be_visible()
