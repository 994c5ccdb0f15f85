"""A citizen's sign-in for a relying party in the browser: the email, password and code pages are
axe-clean in English and Welsh (with and without errors), and the whole sign-in works without JavaScript."""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pyotp
import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, Authenticator
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

WORDS = {
    "en": {"email": "Enter your email address to sign in", "password": "Password", "code":
           "Enter the 6-digit security code shown in your authenticator app", "continue": "Continue",
           "wrong": "Enter the correct email address and password"},
    "cy": {"email": "Rhowch eich cyfeiriad e-bost i fewngofnodi", "password": "Cyfrinair", "code":
           "Rhowch y cod diogelwch 6 digid a ddangosir yn eich ap dilysu", "continue": "Parhau",
           "wrong": "Rhowch y cyfeiriad e-bost a’r cyfrinair cywir"},
}  # fmt: skip
PASSWORD = "a long passphrase for the browser"


@dataclasses.dataclass(frozen=True)
class RelyingParty:
    client_id: str
    redirect_uri: str


@pytest.fixture(scope="module")
def relying_party(live_server: LiveServer) -> RelyingParty:
    redirect_uri = f"{live_server.url}/"  # the platform's start page stands in for the service's callback
    made = json.loads(
        live_server.cli("identity", "client", "create", "--service", live_server.demo.service_id,
                        "--name", "Parking permits", "--redirect-uri", redirect_uri,
                        "--token-auth-method", "client_secret_post", "--json")
    )  # fmt: skip
    return RelyingParty(made["client_id"], redirect_uri)


@pytest.fixture(scope="module")
def citizen(live_server: LiveServer) -> tuple[str, Authenticator]:
    secret = pyotp.random_base32()
    email = f"resident-{secrets.token_hex(4)}@example.com"
    live_server.cli("identity", "citizen", "create", "--email", email, "--password", PASSWORD, "--totp-secret", secret)
    return email, Authenticator(secret)


def _authorize(rp: RelyingParty, language: str, state: str = "the-state") -> str:
    query = {"response_type": "code", "scope": "openid email", "client_id": rp.client_id,
             "redirect_uri": rp.redirect_uri, "state": state, "nonce": "the-nonce", "ui_locales": language}  # fmt: skip
    return "/authorize?" + urlencode(query)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_sign_in_pages_have_no_accessibility_violations_in_english_and_welsh(
    page: Page, relying_party: RelyingParty, citizen: tuple[str, Authenticator], language: str
) -> None:
    words = WORDS[language]
    await page.goto(_authorize(relying_party, language))
    await expect(page.locator("html")).to_have_attribute("lang", language)
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["email"])
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["email"]).fill(citizen[0])
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["password"], exact=True).fill("not the password")
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.get_by_role("alert")).to_contain_text(words["wrong"])
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["code"])
    await assert_no_accessibility_violations(page)


async def test_a_citizen_signs_in_without_javascript_and_is_sent_back_with_a_code(
    page_without_javascript: Page, relying_party: RelyingParty, citizen: tuple[str, Authenticator]
) -> None:
    page = page_without_javascript
    email, authenticator = citizen
    await page.goto(_authorize(relying_party, "en", state="no-js"))
    await page.get_by_label(WORDS["en"]["email"]).fill(email)
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label(WORDS["en"]["code"]).fill(await authenticator.code())
    await page.get_by_role("button", name="Continue").click()
    await expect(page).to_have_url(re.compile(r"\?code=.+&state=no-js$"))
    returned = parse_qs(urlsplit(page.url).query)
    assert len(returned["code"][0]) >= 43


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_signed_out_page_has_no_accessibility_violations_in_english_and_welsh(
    page: Page, language: str
) -> None:
    heading = {"en": "You have signed out", "cy": "Rydych wedi allgofnodi"}[language]
    await page.goto(f"/logout?post_logout_redirect_uri=https%3A%2F%2Fevil.example.com%2F&lang={language}")
    await expect(page.locator("html")).to_have_attribute("lang", language)
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert urlsplit(page.url).path == "/logout" and "evil" not in urlsplit(page.url).netloc  # never sent away
    await assert_no_accessibility_violations(page)
