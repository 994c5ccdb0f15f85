"""Staff sign-in in the browser: the pages, an error, the security code step, and no JavaScript at all."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, TEXT, Authenticator, open_in, sign_in
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_sign_in_page_has_no_accessibility_violations_in_english_and_welsh(page: Page, language: str) -> None:
    await open_in(page, "/sign-in", language)
    await expect(page.get_by_role("heading", level=1)).to_have_text(TEXT[language]["Sign in"])
    await assert_no_accessibility_violations(page)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_sign_in_page_with_errors_has_no_accessibility_violations_in_english_and_welsh(
    page: Page, language: str
) -> None:
    words = TEXT[language]
    await open_in(page, "/sign-in", language)
    await page.get_by_role("button", name=words["Continue"]).click()

    await expect(page).to_have_title(re.compile(f"^{re.escape(words['Error:'])} "))
    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text(words["There is a problem"])
    await expect(summary.get_by_role("link", name=words["Enter your email address"])).to_have_attribute(
        "href", "#email"
    )
    await assert_no_accessibility_violations(page)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_security_code_page_has_no_accessibility_violations_in_english_and_welsh(
    page: Page, live_server: LiveServer, language: str
) -> None:
    words = TEXT[language]
    await open_in(page, "/sign-in", language)
    await page.get_by_label(words["Email address"]).fill(live_server.demo.email)
    await page.get_by_label(words["Password"], exact=True).fill(live_server.demo.password)
    await page.get_by_role("button", name=words["Continue"]).click()

    await expect(page).to_have_url(f"{live_server.url}/sign-in/code")
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["Enter your security code"])
    await assert_no_accessibility_violations(page)


async def test_a_staff_user_can_sign_in_and_reach_the_admin_pages_without_javascript(
    page_without_javascript: Page, live_server: LiveServer, demo_authenticator: Authenticator
) -> None:
    page = page_without_javascript
    await page.goto("/sign-in")
    # With JavaScript off, GOV.UK Frontend never reveals the password input's Show button.
    await expect(page.get_by_role("button", name="Show password")).to_be_hidden()
    assert await page.locator("body.govuk-frontend-supported").count() == 0

    await sign_in(page, live_server.demo.email, live_server.demo.password, demo_authenticator)

    await expect(page).to_have_url(f"{live_server.url}/admin")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Admin")
    await expect(page.get_by_text(f"Signed in as {live_server.demo.email}.")).to_be_visible()
