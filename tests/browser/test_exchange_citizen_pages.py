"""A citizen's exchange pages in Chromium, in English and Welsh: the demo resident gives consent to an agreement
on consent, sees it with its receipt, withdraws it, and reads the uses of their data; every page axe-clean."""

from __future__ import annotations

import json
from pathlib import Path

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
    var_dir = Path(live_server.env["GOVPLATFORM_VAR_DIR"])
    resident = json.loads((var_dir / "demo-resident.json").read_text())
    authenticator = Authenticator(resident["totp_secret"])
    await page.goto(f"/exchange/consent/{consent_agreement}?lang={language}")
    await page.get_by_label(words["email"]).fill(resident["email"])
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["password"], exact=True).fill(resident["password"])
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
