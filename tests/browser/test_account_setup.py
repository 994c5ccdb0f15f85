"""A new staff user sets up their account from the one-time link (password, then authenticator app)
and signs in, with no accessibility violations on the set-up pages in English or Welsh."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import TEXT, Authenticator, open_in, screenshot, sign_in
from tests.browser.server import LiveServer
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

NEW_EMAIL = "new@example.gov.uk"


async def choose_password(page: Page, language: str) -> None:
    words = TEXT[language]
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["Create your password"])
    await page.get_by_label(words["Password"], exact=True).fill(PASSWORD)
    await page.get_by_label(words["Confirm password"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=words["Continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["Set up your authenticator app"])


async def test_a_new_staff_user_sets_up_their_account_from_the_link_and_signs_in(
    page: Page, live_server: LiveServer
) -> None:
    created = json.loads(live_server.cli("user", "create", "--email", NEW_EMAIL, "--platform-admin", "--json"))
    link = created["setup_link"]
    assert link.startswith(f"{live_server.url}/setup/"), link

    await open_in(page, link, "en")
    await expect(page.get_by_text(f"You are setting up the account for {NEW_EMAIL}.")).to_be_visible()
    await assert_no_accessibility_violations(page)

    # In Welsh: the password page, then the authenticator page it leads to.
    await open_in(page, link, "cy")
    await assert_no_accessibility_violations(page)
    await choose_password(page, "cy")
    await assert_no_accessibility_violations(page)

    welsh_secret = await page.get_by_text(TEXT["cy"]["Secret key:"]).inner_text()

    # They switch back to English: the language switch keeps them on the authenticator step,
    # with the same secret they may already have scanned.
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(TEXT["en"]["Set up your authenticator app"])
    await assert_no_accessibility_violations(page)
    await screenshot(page, "setup-authenticator")

    secret_line = await page.get_by_text(TEXT["en"]["Secret key:"]).inner_text()
    secret = "".join(secret_line.split(":", 1)[1].split())
    assert secret == "".join(welsh_secret.split(":", 1)[1].split())
    authenticator = Authenticator(secret)
    await page.get_by_label(TEXT["en"]["Code from your authenticator app"]).fill(await authenticator.code())
    await page.get_by_role("button", name="Continue").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(TEXT["en"]["Your account is ready"])
    await assert_no_accessibility_violations(page)

    await page.locator("main").get_by_role("button", name="Sign in").click()
    await sign_in(page, NEW_EMAIL, PASSWORD, authenticator)
    await expect(page).to_have_url(f"{live_server.url}/admin")
    await expect(page.get_by_text(f"Signed in as {NEW_EMAIL}.")).to_be_visible()

    # The link worked once.
    await page.goto(link)
    await expect(page.get_by_role("heading", level=1)).to_have_text("This link has expired")
