"""The public pages: start, cookies, not found, the cookie banner, and scripts under the CSP."""

from __future__ import annotations

import json
import re
from http.cookies import SimpleCookie

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, TEXT, open_in
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

ESSENTIAL_COOKIES = {"govplatform_csrf", "govplatform_lang"}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_start_page_has_no_accessibility_violations_in_english_and_welsh(page: Page, language: str) -> None:
    await open_in(page, "/", language)
    await expect(page).to_have_title(re.compile(f"^{re.escape(TEXT[language]['Digital services for public bodies'])}"))
    await assert_no_accessibility_violations(page)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_cookies_page_has_no_accessibility_violations_in_english_and_welsh(page: Page, language: str) -> None:
    await open_in(page, "/cookies", language)
    await expect(page.get_by_role("heading", level=1)).to_have_text(TEXT[language]["Cookies"])
    await assert_no_accessibility_violations(page)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_page_not_found_page_has_no_accessibility_violations_in_english_and_welsh(
    page: Page, language: str
) -> None:
    response = await open_in(page, "/there-is-no-such-page", language)
    assert response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text(TEXT[language]["Page not found"])
    await assert_no_accessibility_violations(page)


def cookie_value(raw: str) -> str:
    """A cookie value as the server meant it: Starlette quotes values that hold commas or quotes."""
    jar: SimpleCookie = SimpleCookie()
    jar.load(f"cookies_policy={raw}")
    return jar["cookies_policy"].value


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_first_visit_shows_the_cookie_banner_sets_only_essential_cookies_and_reject_hides_the_banner(
    context: BrowserContext, page: Page, live_server: LiveServer, language: str
) -> None:
    await open_in(page, "/", language)
    banner = page.locator(".govuk-cookie-banner")
    await expect(banner).to_be_visible()

    before = {cookie["name"] for cookie in await context.cookies()}
    assert "govplatform_csrf" in before, "the page set no CSRF cookie, so this check would see nothing"
    assert before <= ESSENTIAL_COOKIES, f"cookies set before any choice: {sorted(before - ESSENTIAL_COOKIES)}"

    await banner.get_by_role("button", name=TEXT[language]["Reject analytics cookies"]).click()
    await expect(page).to_have_url(f"{live_server.url}/")
    await expect(banner).to_have_count(0)
    policy = {cookie["name"]: cookie["value"] for cookie in await context.cookies()}.get("cookies_policy")
    assert policy is not None, "rejecting analytics cookies did not save the choice"
    assert json.loads(cookie_value(policy)) == {"essential": True, "analytics": False}

    await page.goto("/cookies")
    await expect(banner).to_have_count(0)
    await expect(page.get_by_role("radio", checked=True)).to_have_value("reject")


async def test_the_start_and_sign_in_pages_run_their_scripts_without_content_security_policy_violations(
    page: Page,
) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))
    # Runs before any page script and is not itself subject to the page's CSP.
    await page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (event) => window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI));"
    )

    for path in ("/", "/sign-in"):
        await page.goto(path)
        # Both scripts ran: GOV.UK Frontend's inline one (with the nonce) marks the body ...
        await expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
        assert await page.evaluate("window.__cspViolations") == [], f"CSP blocked something on {path}"
    # ... and the module from 'self' started the components, which shows the password's Show button.
    await expect(page.get_by_role("button", name="Show password")).to_be_visible()

    blocked = [text for text in console if "Content Security Policy" in text]
    assert not blocked, "the browser reported CSP violations:\n" + "\n".join(blocked)
