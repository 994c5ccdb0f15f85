"""Acceptance: the demo staff user signs in with TOTP, creates a service and an API key, and both show
in the audit log; every admin page on the way has no accessibility violations in English or Welsh."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import Authenticator, open_in, screenshot, sign_in
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

DEMO_ORGANISATION = "Demo Borough Council"
NEW_SERVICE = "Report a pothole"
NEW_KEY = "Case system"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


async def test_the_demo_staff_user_signs_in_with_totp_creates_a_service_and_an_api_key_and_both_show_in_the_audit_log(
    page: Page, live_server: LiveServer, demo_authenticator: Authenticator
) -> None:
    demo = live_server.demo
    await page.goto("/")
    await screenshot(page, "start")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{live_server.url}/sign-in")
    await sign_in(page, demo.email, demo.password, demo_authenticator)
    await expect(page).to_have_url(f"{live_server.url}/admin")
    await screenshot(page, "admin")

    for path in (
        "/admin",
        "/admin/organisations",
        f"/admin/organisations/{demo.organisation_id}",
        "/admin/services",
        f"/admin/services/{demo.service_id}",
        "/admin/audit",
        "/admin/jobs",
    ):
        for language in ("cy", "en"):
            response = await open_in(page, path, language)
            assert response.status == 200, f"{path} in {language} answered {response.status}"
            await assert_no_accessibility_violations(page)

    # Create a service for the demo organisation.
    await page.goto("/admin/services")
    await page.get_by_label("Organisation", exact=True).select_option(label=DEMO_ORGANISATION)
    await page.get_by_label("Service name").fill(NEW_SERVICE)
    await page.get_by_role("button", name="Create service").click()
    await expect(page).to_have_url(re.compile(f"/admin/services/{UUID}$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(NEW_SERVICE)
    service_id = page.url.rsplit("/", 1)[1]

    # Create a platform API key on it: shown once, then never again.
    await page.get_by_label("Name of the new API key").fill(NEW_KEY)
    await page.get_by_role("button", name="Create API key").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"New API key for {NEW_SERVICE}")
    key = (await page.locator("#api-key").inner_text()).strip()
    assert key.startswith("gpk_"), f"the page showed {key!r} as the key"
    await assert_no_accessibility_violations(page)

    await page.get_by_role("link", name=f"Back to {NEW_SERVICE}").click()
    await expect(page).to_have_url(f"{live_server.url}/admin/services/{service_id}")
    await expect(page.get_by_role("row").filter(has_text=NEW_KEY)).to_contain_text("Active")
    assert key not in await page.content(), "the service page shows the key again"

    # Both actions are in the audit log, by the demo user, on the new service.
    await page.goto("/admin/audit")
    created_service = page.get_by_role("row").filter(has_text="service.created").filter(has_text=service_id)
    await expect(created_service).to_have_count(1)
    await expect(created_service).to_contain_text(demo.email)
    # The demo seeded a Pay key from the command line; the one made here is the demo user's.
    created_key = page.get_by_role("row").filter(has_text="api_key.created").filter(has_text=demo.email)
    await expect(created_key).to_have_count(1)
    await expect(created_key).to_contain_text(demo.email)
