"""A citizen's account pages in the browser, in English and Welsh: sign-in and back, the services they used,
changing their password and email address, and deleting the account; every page axe-clean, with and
without errors. (axe needs JavaScript; the pages have none of their own: every step is a link or a form POST.)"""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlencode, urlsplit

import pyotp
import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, Authenticator
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

PASSWORD, NEW_PASSWORD = "a long passphrase for the browser", "another long passphrase here"
WORDS = {
    "en": {"email": "Enter your email address to sign in", "password": "Password", "continue": "Continue",
           "code": "Enter the 6-digit security code shown in your authenticator app", "account": "Your account",
           "current": "Current password", "new": "New password", "change": "Change password",
           "wrong_current": "Your current password is not correct", "changed": "Your password has been changed",
           "new_email": "Enter your new email address", "check": "Check your email",
           "delete": "Delete your account", "confirm": "Enter your password to confirm",
           "wrong": "Your password is not correct", "deleted": "Your account has been deleted",
           "first": "First used"},
    "cy": {"email": "Rhowch eich cyfeiriad e-bost i fewngofnodi", "password": "Cyfrinair", "continue": "Parhau",
           "code": "Rhowch y cod diogelwch 6 digid a ddangosir yn eich ap dilysu", "account": "Eich cyfrif",
           "current": "Cyfrinair presennol", "new": "Cyfrinair newydd", "change": "Newid cyfrinair",
           "wrong_current": "Nid yw eich cyfrinair presennol yn gywir",
           "changed": "Mae eich cyfrinair wedi’i newid",
           "new_email": "Rhowch eich cyfeiriad e-bost newydd", "check": "Gwiriwch eich e-bost",
           "delete": "Dileu eich cyfrif", "confirm": "Rhowch eich cyfrinair i gadarnhau",
           "wrong": "Nid yw eich cyfrinair yn gywir", "deleted": "Mae eich cyfrif wedi’i ddileu",
           "first": "Defnyddiwyd gyntaf"},
}  # fmt: skip


@pytest.fixture(scope="module")
def relying_party(live_server: LiveServer) -> tuple[str, str]:
    redirect_uri = f"{live_server.url}/"  # the platform's start page stands in for the service's callback
    made = json.loads(
        live_server.cli("identity", "client", "create", "--service", live_server.demo.service_id,
                        "--name", "Parking permits", "--redirect-uri", redirect_uri,
                        "--token-auth-method", "client_secret_post", "--json")
    )  # fmt: skip
    return made["client_id"], redirect_uri


def _citizen(live_server: LiveServer) -> tuple[str, Authenticator]:
    secret = pyotp.random_base32()
    email = f"resident-{secrets.token_hex(4)}@example.com"
    live_server.cli("identity", "citizen", "create", "--email", email, "--password", PASSWORD, "--totp-secret", secret)
    return email, Authenticator(secret)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_account_pages_have_no_accessibility_violations_in_english_and_welsh(
    page: Page, live_server: LiveServer, relying_party: tuple[str, str], language: str
) -> None:
    words = WORDS[language]
    email, authenticator = _citizen(live_server)
    await page.goto(f"/identity/account?lang={language}")  # not signed in: to sign in, then back
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["email"])
    await page.get_by_label(words["email"]).fill(email)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["code"]).fill(await authenticator.code())
    await page.get_by_role("button", name=words["continue"]).click()
    assert urlsplit(page.url).path == "/identity/account"
    await expect(page.locator("html")).to_have_attribute("lang", language)
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["account"])
    await assert_no_accessibility_violations(page)

    client_id, redirect_uri = relying_party  # a service used in the same session: no sign-in pages
    query = {"response_type": "code", "scope": "openid email", "client_id": client_id,
             "redirect_uri": redirect_uri, "state": "s", "nonce": "n"}  # fmt: skip
    await page.goto("/authorize?" + urlencode(query))
    assert "code=" in page.url
    await page.goto("/identity/account")
    await expect(page.get_by_role("table")).to_contain_text("Parking permits")
    await expect(page.get_by_role("table")).to_contain_text(words["first"])
    await assert_no_accessibility_violations(page)

    await page.goto("/identity/account/password")
    await page.get_by_label(words["current"], exact=True).fill("not the password")
    await page.get_by_label(words["new"], exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name=words["change"]).click()
    await expect(page.get_by_role("alert")).to_contain_text(words["wrong_current"])
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["current"], exact=True).fill(PASSWORD)
    await page.get_by_label(words["new"], exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name=words["change"]).click()
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(words["changed"])
    await assert_no_accessibility_violations(page)

    await page.goto("/identity/account/email")
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["new_email"])
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["new_email"]).fill(f"moved-{secrets.token_hex(4)}@example.com")
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["check"])
    await assert_no_accessibility_violations(page)

    await page.goto("/identity/account/delete")
    await page.get_by_label(words["confirm"], exact=True).fill("not the password")
    await page.get_by_role("button", name=words["delete"]).click()
    await expect(page.get_by_role("alert")).to_contain_text(words["wrong"])
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["confirm"], exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name=words["delete"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["deleted"])
    await assert_no_accessibility_violations(page)
