"""Acceptance: an admin invites someone in the admin pages; the platform-owned notify service emails them the
set-up link (the server's worker delivers it and the sandbox writes it as an .eml file); the invitee follows the
link from the email, sets up their account and signs in to the service they were invited to."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import re
import time
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.conftest import new_context
from tests.browser.pages import TEXT, Authenticator, sign_in
from tests.browser.server import LiveServer
from tests.browser.test_account_setup import choose_password
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

INVITEE = "invited.officer@example.gov.uk"
DELIVERY_SECONDS = 20.0


async def email_to(folder: Path, address: str) -> email.message.EmailMessage:
    """The email the sandbox wrote to `address`, once the server's worker has delivered it."""
    deadline = time.monotonic() + DELIVERY_SECONDS
    while time.monotonic() < deadline:
        for path in folder.glob("*.eml"):
            with path.open("rb") as file:
                message = email.message_from_binary_file(file, policy=email.policy.default)
            if isinstance(message, email.message.EmailMessage) and message["To"] == address:
                return message
        await asyncio.sleep(0.2)
    raise AssertionError(f"no email to {address} was written to {folder} within {DELIVERY_SECONDS:.0f} s")


async def text_to(sandbox: Path, number: str, after: int = 0) -> str:
    """The latest text the SMS sandbox wrote (one JSON line each) to `number` (any form with its country code:
    "+447700900123"), once there are more than `after` of them; the server's worker delivers them."""
    digits = number.lstrip("+")
    deadline = time.monotonic() + DELIVERY_SECONDS
    while time.monotonic() < deadline:
        lines = sandbox.read_text(encoding="utf-8").splitlines() if sandbox.exists() else []
        texts = [found for found in map(json.loads, filter(None, lines)) if found["to"].lstrip("+") == digits]
        if len(texts) > after:
            return str(texts[-1]["content"])
        await asyncio.sleep(0.2)
    raise AssertionError(f"no new text to a number ending {digits[-4:]} in {sandbox} within {DELIVERY_SECONDS:.0f} s")


async def test_an_invitation_made_in_the_admin_pages_is_emailed_by_the_platform_service_and_its_link_sets_up_an_account(
    page: Page, browser: Browser, live_server: LiveServer, demo_authenticator: Authenticator
) -> None:
    demo = live_server.demo
    await page.goto("/sign-in")
    await sign_in(page, demo.email, demo.password, demo_authenticator)
    await expect(page).to_have_url(f"{live_server.url}/admin")

    await page.goto(f"/admin/services/{demo.service_id}")
    service_name = (await page.get_by_role("heading", level=1).inner_text()).strip()
    await page.get_by_label("Email address").fill(INVITEE)
    await page.get_by_label("viewer").check()
    await page.get_by_role("button", name="Invite team member").click()
    await expect(page.get_by_text("We have sent them an email about it.")).to_be_visible()
    await assert_no_accessibility_violations(page)
    shown = (await page.locator("#setup-link").inner_text()).strip()

    message = await email_to(Path(live_server.env["GOVPLATFORM_VAR_DIR"]) / "notify" / "email", INVITEE)
    assert message["Subject"] == f"Set up your account for {service_name}"
    assert message["From"].startswith("GovPlatform <"), "sent from the platform's own notify service"
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"https?://\S+/setup/[A-Za-z0-9_-]+", str(body.get_content()))
    assert found, "the email holds the set-up link"
    link = found.group(0)
    assert link == shown, "the email's link is the one the admin was shown"

    # The invitee, in a browser of their own, follows the link from their email.
    invitee_context = await new_context(browser, live_server)
    try:
        invitee = await invitee_context.new_page()
        await invitee.goto(link)
        await expect(invitee.get_by_text(f"You are setting up the account for {INVITEE}.")).to_be_visible()
        await choose_password(invitee, "en")
        secret_line = await invitee.get_by_text(TEXT["en"]["Secret key:"]).inner_text()
        authenticator = Authenticator("".join(secret_line.split(":", 1)[1].split()))
        await invitee.get_by_label(TEXT["en"]["Code from your authenticator app"]).fill(await authenticator.code())
        await invitee.get_by_role("button", name="Continue").click()
        await expect(invitee.get_by_role("heading", level=1)).to_have_text(TEXT["en"]["Your account is ready"])

        await invitee.locator("main").get_by_role("button", name="Sign in").click()
        await sign_in(invitee, INVITEE, PASSWORD, authenticator)
        await expect(invitee).to_have_url(f"{live_server.url}/admin")
        await invitee.goto(f"/admin/services/{demo.service_id}")
        await expect(invitee.get_by_role("heading", level=1)).to_have_text(service_name)
    finally:
        await invitee_context.close()
