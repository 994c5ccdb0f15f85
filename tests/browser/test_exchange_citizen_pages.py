"""A citizen's exchange pages in Chromium, in English and Welsh: a resident proved by a licence the demo agency
holds gives consent to an agreement on consent, sees it with its receipt, withdraws it, and reads the uses of
their data; every page axe-clean."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pyotp
import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, Authenticator
from tests.browser.server import LiveServer
from tests.browser.test_identity_account import WORDS

pytestmark = pytest.mark.browser

HEADINGS = {
    "en": {"ask": "Do you agree to share this information?", "agree": "I agree to share this information",
           "list": "Your consents to share information", "withdraw": "Withdraw consent",
           "uses": "How your information has been used"},
    "cy": {"ask": "Ydych chi'n cytuno i rannu'r wybodaeth hon?", "agree": "Rwy'n cytuno i rannu'r wybodaeth hon",
           "list": "Eich cydsyniadau i rannu gwybodaeth", "withdraw": "Tynnu cydsyniad yn ôl",
           "uses": "Sut mae eich gwybodaeth wedi cael ei defnyddio"},
}  # fmt: skip
# One resident a language, each proved with a licence the demo agency holds (a licence binds to one account)
RESIDENTS = {
    "en": ("Sarah Mary", "Morgan", "1964-07-05", "MORGA657054SM9IJ"),
    "cy": ("Asha Kaur", "Patel", "1987-12-11", "PATEL862117AK9CD"),
}
PASSWORD = "a long passphrase for the exchange"


def _resident(live_server: LiveServer, language: str) -> tuple[str, Authenticator]:
    given, family, born, licence = RESIDENTS[language]
    secret = pyotp.random_base32()
    email = f"resident-{secrets.token_hex(4)}@example.com"
    live_server.cli("identity", "citizen", "create", "--email", email, "--password", PASSWORD, "--totp-secret",
                    secret, "--given-name", given, "--family-name", family, "--birth-date", born, "--level", "P2",
                    "--driving-licence", licence)  # fmt: skip
    return email, Authenticator(secret)


@pytest.fixture(scope="module")
def consent_agreement(live_server: LiveServer) -> str:
    """An agreement on consent between the demo council and the demo agency, through their own approvals."""
    var_dir = Path(live_server.env["GOVPLATFORM_VAR_DIR"])
    seeded = json.loads((var_dir / "demo-exchange.json").read_text())
    made = json.loads(live_server.cli(
        "exchange", "agreement", "create", "--consumer", live_server.demo.organisation_id, "--provider",
        seeded["agency_id"], "--dataset", seeded["dataset_id"], "--fields", "make,colour", "--purpose",
        "blue-badge-parking", "--basis", "consent", "--description", "Blue badge parking bays",
        "--retention", "A year", "--security", "Encrypted", "--review", "2099-01-01", "--json",
    ))  # fmt: skip
    live_server.cli("exchange", "agreement", "approve", "--agreement", made["id"], "--as",
                    "data-owner@vehicles.example.gov.uk")  # fmt: skip
    live_server.cli("exchange", "agreement", "sign-off", "--agreement", made["id"], "--as",
                    "cdo@vehicles.example.gov.uk")  # fmt: skip
    return str(made["id"])


@pytest.mark.parametrize("language", LANGUAGES)
async def test_consent_and_data_use_pages_work_and_have_no_accessibility_violations(
    page: Page, live_server: LiveServer, consent_agreement: str, language: str
) -> None:
    words, headings = WORDS[language], HEADINGS[language]
    email, authenticator = _resident(live_server, language)
    await page.goto(f"/exchange/consent/{consent_agreement}?lang={language}")
    await page.get_by_label(words["email"]).fill(email)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["code"]).fill(await authenticator.code())
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(headings["ask"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=headings["agree"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(headings["list"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=headings["withdraw"]).first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(headings["list"])
    await assert_no_accessibility_violations(page)
    await page.goto("/exchange/data-uses")
    await expect(page.get_by_role("heading", level=1)).to_have_text(headings["uses"])
    await assert_no_accessibility_violations(page)
    await page.set_viewport_size({"width": 320, "height": 800})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 320
