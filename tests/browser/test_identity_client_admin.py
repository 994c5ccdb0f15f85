"""The sign-in client admin pages in the browser, in English and Welsh: the demo user registers a client through
the form (after an error summary), sees its secret once, views it and turns it off, and every page on the way is
axe-clean."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, open_in, screenshot
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

WORDS = {
    "en": {"new": "Register a sign-in client", "error": "Error: ", "problem": "There is a problem",
           "redirect": "Each redirect URI must be a full https address", "secret": "Your sign-in client’s secret",
           "off": "The sign-in client has been turned off", "list": "Sign-in clients"},
    "cy": {"new": "Cofrestru cleient mewngofnodi", "error": "Gwall: ", "problem": "Mae problem wedi codi",
           "redirect": "Rhaid i bob URI ailgyfeirio fod yn gyfeiriad https llawn",
           "secret": "Cyfrinach eich cleient mewngofnodi", "off": "Mae’r cleient mewngofnodi wedi’i ddiffodd",
           "list": "Cleientiaid mewngofnodi"},
}  # fmt: skip


async def submit(page: Page) -> None:
    await page.locator("main form button.govuk-button").click()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_client_is_registered_viewed_and_turned_off_through_axe_clean_pages(
    staff: BrowserContext, live_server: LiveServer, language: str
) -> None:
    words = WORDS[language]
    base = f"/admin/services/{live_server.demo.service_id}/identity/clients"
    page = await staff.new_page()
    response = await open_in(page, f"{base}/new", language)
    assert response.status == 200
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["new"])
    await assert_no_accessibility_violations(page)

    name = f"Browser client {secrets.token_hex(3)}"
    await page.locator("#name").fill(name)
    await page.locator("#redirect_uris").fill("http://parking.example.gov.uk/callback")
    await page.locator("#key_source-3").check()  # a client secret
    await submit(page)
    await expect(page).to_have_title(re.compile("^" + words["error"]))
    await expect(page.get_by_role("alert")).to_contain_text(words["problem"])
    await expect(page.get_by_role("alert").get_by_role("link")).to_have_attribute("href", "#redirect_uris")
    await expect(page.get_by_role("alert")).to_contain_text(words["redirect"])
    await screenshot(page, f"identity-client-errors-{language}")
    await assert_no_accessibility_violations(page)

    await page.locator("#redirect_uris").fill(f"{live_server.url}/callback\n{live_server.url}/other")
    await submit(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["secret"])
    await expect(page.locator("#client-secret")).to_have_text(re.compile(r"^[A-Za-z0-9_-]{43,}$"))
    client_id = await page.locator("#client-id").inner_text()
    await screenshot(page, f"identity-client-secret-{language}")
    await assert_no_accessibility_violations(page)

    await page.goto(f"{base}/{client_id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(name)
    await expect(page.locator("#client-secret")).to_have_count(0)
    await submit(page)  # its one form is the button that turns it off
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(words["off"])
    await assert_no_accessibility_violations(page)

    await page.goto(f"{base}/{client_id}/edit")
    await expect(page.locator("#name")).to_have_value(name)
    await assert_no_accessibility_violations(page)

    await page.goto(base)
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["list"])
    await expect(page.get_by_role("link", name=name)).to_be_visible()
    await screenshot(page, f"identity-clients-{language}")
    await assert_no_accessibility_violations(page)
    await page.close()
