"""A citizen creates an account in the browser, from the sign-in page a relying party sent them to: every
step (email, check your email, password, authenticator app) is axe-clean in English and Welsh, with and
without errors, the code comes from the email the server's worker delivered, and the citizen lands back at
the relying party with a code."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, Authenticator
from tests.browser.server import LiveServer
from tests.browser.test_invitation_email import email_to

pytestmark = pytest.mark.browser

WORDS = {
    "en": {"create": "Create an account", "email": "Enter your email address to create an account",
           "check": "Check your email", "code": "Enter the 6-digit code", "wrong": "not correct",
           "password": "Password", "again": "Re-type your password",
           "differ": "Enter the same password in both fields", "app": "Set up an authenticator app",
           "app_code": "Enter the 6-digit security code shown in your authenticator app",
           "continue": "Continue", "finish": "Create account",
           "choose": "Choose how to get security codes", "an_app": "An authenticator app"},
    "cy": {"create": "Creu cyfrif", "email": "Rhowch eich cyfeiriad e-bost i greu cyfrif",
           "check": "Gwiriwch eich e-bost", "code": "Rhowch y cod 6 digid", "wrong": "Nid yw’r cod a roesoch yn gywir",
           "password": "Cyfrinair", "again": "Teipiwch eich cyfrinair eto",
           "differ": "Rhowch yr un cyfrinair yn y ddau faes",
           "app": "Sefydlu ap dilysu", "app_code": "Rhowch y cod diogelwch 6 digid a ddangosir yn eich ap dilysu",
           "continue": "Parhau", "finish": "Creu cyfrif",
           "choose": "Dewiswch sut i gael codau diogelwch", "an_app": "Ap dilysu"},
}  # fmt: skip
PASSWORD = "violet harbour kettle drum"


@pytest.fixture(scope="module")
def redirect_and_client(live_server: LiveServer) -> tuple[str, str]:
    redirect_uri = f"{live_server.url}/"  # the platform's start page stands in for the service's callback
    made = json.loads(
        live_server.cli("identity", "client", "create", "--service", live_server.demo.service_id,
                        "--name", "Parking permits", "--redirect-uri", redirect_uri,
                        "--token-auth-method", "client_secret_post", "--json")
    )  # fmt: skip
    return redirect_uri, made["client_id"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_citizen_creates_an_account_on_axe_clean_pages_and_is_sent_back_with_a_code(
    page: Page, live_server: LiveServer, redirect_and_client: tuple[str, str], language: str
) -> None:
    words = WORDS[language]
    redirect_uri, client_id = redirect_and_client
    state = f"sign-up-{language}"
    query = {"response_type": "code", "scope": "openid email", "client_id": client_id, "redirect_uri": redirect_uri,
             "state": state, "nonce": "the-nonce", "ui_locales": language}  # fmt: skip
    await page.goto("/authorize?" + urlencode(query))
    await expect(page.locator("html")).to_have_attribute("lang", language)
    await page.get_by_role("link", name=words["create"]).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(words["email"])
    await assert_no_accessibility_violations(page)
    address = f"new-{language}-{secrets.token_hex(4)}@example.com"
    await page.get_by_label(words["email"]).fill(address)
    await page.get_by_role("button", name=words["continue"]).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(words["check"])
    await assert_no_accessibility_violations(page)
    message = await email_to(Path(live_server.env["GOVPLATFORM_VAR_DIR"]) / "notify" / "email", address)
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"\b(\d{6})\b", str(body.get_content()))
    assert found, "the email holds the code"
    code = found.group(1)
    await page.get_by_label(words["code"]).fill(f"{(int(code) + 1) % 1_000_000:06d}")
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.get_by_role("alert")).to_contain_text(words["wrong"])
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["code"]).fill(code)
    await page.get_by_role("button", name=words["continue"]).click()

    await page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    await page.get_by_label(words["again"], exact=True).fill(PASSWORD + " and more")
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.get_by_role("alert")).to_contain_text(words["differ"])
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    await page.get_by_label(words["again"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=words["continue"]).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(words["choose"])
    await page.get_by_label(words["an_app"], exact=True).check()
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["app"])
    await assert_no_accessibility_violations(page)
    authenticator = Authenticator("".join((await page.locator("#secret-key").inner_text()).split()))
    await page.get_by_label(words["app_code"]).fill(await authenticator.code())
    await page.get_by_role("button", name=words["finish"]).click()
    await expect(page).to_have_url(re.compile(rf"\?code=.+&state={state}$"))
    assert len(parse_qs(urlsplit(page.url).query)["code"][0]) >= 43
