"""The public register of data-sharing agreements, in English and Welsh, with the demo's agreement on it, and
readable on a 320-pixel screen (WCAG reflow)."""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, open_in
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

HEADINGS = {"en": "Register of data-sharing agreements", "cy": "Cofrestr o gytundebau rhannu data"}
SHARED = {"en": "Vehicle registration number, Vehicle make, Vehicle colour",
          "cy": "Rhif cofrestru cerbyd, Gwneuthuriad cerbyd, Lliw cerbyd"}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_register_shows_the_demo_agreement_without_accessibility_violations(
    page: Page, language: str
) -> None:
    await open_in(page, "/exchange/register", language)
    await expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS[language])
    await expect(page.get_by_text("Vehicle Licensing Agency (demo)").first).to_be_visible()
    await expect(page.get_by_text(SHARED[language])).to_be_visible()
    await assert_no_accessibility_violations(page)
    await page.set_viewport_size({"width": 320, "height": 800})
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 320, f"the register is {wide} px wide on a 320 px screen"


ADMIN_HEADINGS = {"en": "Data-sharing agreements", "cy": "Cytundebau rhannu data"}
CONTINUE = {"en": "Continue", "cy": "Parhau"}
DRAFT = {"en": "Draft a data-sharing agreement", "cy": "Drafftio cytundeb rhannu data"}
SAVE = {"en": "Save draft", "cy": "Cadw'r drafft"}
REVOKE = {"en": "Revoke this data-sharing agreement?", "cy": "Dirymu'r cytundeb rhannu data hwn?"}


@pytest.fixture(scope="module")
async def council_data_owner(staff: BrowserContext, live_server: LiveServer) -> BrowserContext:
    """The demo user, a platform admin, gives themself the demo council's data-owner role on the organisation's
    page, so the council's changes to its agreements are offered to them."""
    page = await staff.new_page()
    await page.goto(f"/admin/organisations/{live_server.demo.organisation_id}")
    await page.get_by_label("Email address").fill(live_server.demo.email)
    await page.get_by_label("data-owner").check()
    await page.get_by_role("button", name="Give role").click()
    await expect(page.get_by_text("data-owner").first).to_be_visible()
    await page.close()
    return staff


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_agreements_admin_pages_have_no_accessibility_violations(
    council_data_owner: BrowserContext, language: str
) -> None:
    """The agreements, one's terms, a change's confirmation page, and drafting, as the council's data owner."""
    page = await council_data_owner.new_page()
    await open_in(page, "/admin/exchange/agreements", language)
    await expect(page.get_by_role("heading", level=1)).to_have_text(ADMIN_HEADINGS[language])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("link", name="Checking the vehicle of a resident who applies for a parking permit").click()
    await expect(page.get_by_text("Vehicle Licensing Agency (demo)").first).to_be_visible()
    await assert_no_accessibility_violations(page)
    await page.goto(page.url + "/revoke")
    await expect(page.get_by_role("heading", level=1)).to_have_text(REVOKE[language])
    await assert_no_accessibility_violations(page)
    # Drafting: the dataset, then the terms (the errors shown, as an empty form gives them).
    await page.goto("/admin/exchange/agreements/new")
    await assert_no_accessibility_violations(page)
    await page.get_by_label("Vehicle Licensing Agency (demo): Vehicle keepers").check()
    await page.get_by_role("button", name=CONTINUE[language]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(DRAFT[language])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=SAVE[language]).click()
    await expect(page.locator(".govuk-error-summary")).to_be_visible()
    await assert_no_accessibility_violations(page)
    await page.close()
