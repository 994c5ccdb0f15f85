"""The demo's parking-permit shop in Chromium: the demo resident signs in through the platform's provider,
has their vehicle filled in from the demo agency's records through the exchange, finds that use on their
data-use page and checks its receipt offline, pays with each sandbox test card, sees the outcome on the shop's
return page, and signs out.

The shop is an example service that signs residents in through the platform's
own OpenID Connect provider and takes payments through the public Pay API with
a test key (`govplatform demo` set both up, and made the demo resident). Each
payment journey starts on the shop, goes through the hosted payment pages, and
ends on the shop's return page, which must show what GET /v1/payments/{id}
says; the test asks the API itself too, with the shop's own key.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from govplatform.pay.sandbox_cards import SANDBOX_CARDS, SandboxCard, SandboxOutcome
from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.conftest import new_context
from tests.browser.pages import Authenticator, open_in
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

# pay.md lists 222100000000000, 15 digits, which the card page (as Pay's) refuses as too short for a
# Mastercard; our sandbox answers 2221000000000009 for it (see sandbox_cards.py).
CARDS = [card for card in SANDBOX_CARDS if card.number != "222100000000000"]
EXPECTED = {
    SandboxOutcome.SUCCESS: ("success", None),
    SandboxOutcome.THREE_D_SECURE: ("success", None),
    SandboxOutcome.DISPUTE: ("success", None),
    SandboxOutcome.DECLINED: ("failed", "P0010"),
    SandboxOutcome.EXPIRED_CARD: ("failed", "P0010"),
    SandboxOutcome.CVC_ERROR: ("failed", "P0010"),
    SandboxOutcome.PROCESSING_ERROR: ("error", "P0050"),
}


@pytest.fixture(scope="module")
def shop_key(live_server: LiveServer) -> str:
    saved = Path(live_server.env["GOVPLATFORM_VAR_DIR"]) / "examples" / "parking-permits.json"
    key: str = json.loads(saved.read_text())["api_key"]
    return key


@pytest.fixture(scope="module")
def resident(live_server: LiveServer) -> tuple[dict[str, str], Authenticator]:
    """The demo resident `govplatform demo` made, and their authenticator app."""
    var_dir = Path(live_server.env["GOVPLATFORM_VAR_DIR"])
    saved: dict[str, str] = json.loads((var_dir / "demo-resident.json").read_text())
    return saved, Authenticator(saved["totp_secret"])


async def sign_in(page: Page, resident: tuple[dict[str, str], Authenticator], check_pages: bool = False) -> None:
    """From the shop's start page through the provider's pages (email, password, code) back to the shop."""
    details, authenticator = resident
    await page.goto("/examples/parking-permits")
    await expect(page.get_by_label("Vehicle registration")).to_have_count(0)
    if check_pages:
        await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name="Sign in to apply").click()
    await expect(page).to_have_url(re.compile(r"/identity/sign-in/"))
    await page.get_by_label("Enter your email address to sign in").fill(details["email"])
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label("Password", exact=True).fill(details["password"])
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label("Enter the 6-digit security code shown in your authenticator app").fill(
        await authenticator.code()
    )
    await page.get_by_role("button", name="Continue").click()
    await expect(page).to_have_url(re.compile(r"/examples/parking-permits$"))
    await expect(page.locator("#signed-in-as")).to_contain_text(f"You are signed in as {details['email']}")


@pytest.fixture(scope="module")
async def signed_in_cookies(
    browser: Browser, live_server: LiveServer, resident: tuple[dict[str, str], Authenticator]
) -> list[Any]:
    """One sign-in for the card journeys: each starts in a fresh profile holding its cookies."""
    context = await new_context(browser, live_server)
    await sign_in(await context.new_page(), resident)
    cookies = await context.cookies()
    await context.close()
    return list(cookies)


@pytest.fixture
async def citizen(browser: Browser, live_server: LiveServer, signed_in_cookies: list[Any]) -> AsyncIterator[Page]:
    context = await new_context(browser, live_server)
    await context.add_cookies(signed_in_cookies)
    yield await context.new_page()
    await context.close()


@pytest.fixture
async def newcomer(browser: Browser, live_server: LiveServer) -> AsyncIterator[Page]:
    context = await new_context(browser, live_server)
    yield await context.new_page()
    await context.close()


async def test_the_demo_resident_signs_in_through_the_provider_applies_and_signs_out(
    newcomer: Page, resident: tuple[dict[str, str], Authenticator]
) -> None:
    page = newcomer
    await sign_in(page, resident, check_pages=True)
    await assert_no_accessibility_violations(page)
    await buy_permit(page)
    await enter_card(page, "4242424242424242")
    await page.get_by_role("button", name="Confirm payment", exact=True).click()
    await expect(page.locator(".govuk-panel__title")).to_have_text("Permit paid for")
    await page.goto("/examples/parking-permits")
    await page.get_by_role("link", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/examples/parking-permits/signed-out\?state="))
    await expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    await assert_no_accessibility_violations(page)
    await page.get_by_role("link", name="Start again").click()
    await expect(page.get_by_role("button", name="Sign in to apply")).to_be_visible()
    await expect(page.get_by_label("Vehicle registration")).to_have_count(0)


async def test_the_demo_resident_has_their_vehicle_filled_in_and_verifies_the_use_s_receipt(
    newcomer: Page, resident: tuple[dict[str, str], Authenticator], live_server: LiveServer, tmp_path: Path
) -> None:
    page = newcomer
    await sign_in(page, resident)
    await page.get_by_role("button", name="Fill in my vehicle from the agency's records").click()
    await expect(page).to_have_url(re.compile(r"/examples/parking-permits$"))
    await expect(page.get_by_label("Vehicle registration")).to_have_value("DM21 RES")
    await expect(page.locator("#vehicle-filled")).to_contain_text("Vehicle Licensing Agency (demo): NISSAN, Green")
    await assert_no_accessibility_violations(page)
    await open_in(page, "/examples/parking-permits", "cy")
    await expect(page.locator("#vehicle-filled")).to_contain_text("Rydym wedi llenwi rhif cofrestru eich cerbyd")
    await assert_no_accessibility_violations(page)
    await open_in(page, "/examples/parking-permits", "en")

    live_server.cli("transparency", "integrate")  # the sequencer's next checkpoint, now
    await page.get_by_role("link", name="See how your information has been used").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("How your information has been used")
    use = page.locator(".govuk-summary-card", has_text="Vehicle registration number").first
    await expect(use).to_contain_text("Vehicle Licensing Agency (demo)")
    await expect(use).to_contain_text(re.compile(r"Record \d+, proved"))
    found = re.search(r"Record (\d+), proved", await use.inner_text())
    assert found is not None
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name=f"Download the receipt for record {found.group(1)}").click()
    saved = tmp_path / "receipt.txt"
    await (await downloading.value).save_as(saved)
    key = httpx.get(live_server.url + "/transparency/key").text.strip().split("\n")[0]
    checked = live_server.cli("transparency", "verify-receipt", str(saved), "--key", key)
    assert checked.startswith("OK: entry ") and '"registration"' not in checked  # the log holds no values
    assert json.loads(checked.split("\n", 1)[1])["via"]["provider"]["name"] == "Vehicle Licensing Agency (demo)"


async def buy_permit(page: Page) -> str:
    """From the shop's start page to the card details page; the payment's id."""
    await page.goto("/examples/parking-permits")
    await page.get_by_label("Resident permit, 12 months (£60.00)").check()
    await page.get_by_label("Vehicle registration").fill("AB12 CDE")
    await page.get_by_role("button", name="Continue to payment").click()
    await expect(page).to_have_url(re.compile(r"/card_details/[0-9a-v]{26}$"))
    return page.url.rsplit("/", 1)[-1]


async def enter_card(page: Page, number: str) -> None:
    await page.get_by_label("Card number").fill(number)
    await page.get_by_label("Month").fill("11")
    await page.get_by_label("Year").fill("2035")
    await page.get_by_label("Name on card").fill("Ada Lovelace")
    await page.get_by_label("Card security code").fill("1234" if number.startswith(("34", "37")) else "123")
    await page.get_by_label("Address line 1").fill("10 Downing Street")
    await page.get_by_label("Town or city").fill("London")
    await page.get_by_label("Postcode", exact=True).fill("SW1A 2AA")
    await page.get_by_label("Email address").fill("ada@example.org")
    await page.get_by_role("button", name="Continue", exact=True).click()


@pytest.mark.parametrize("card", CARDS, ids=[card.number for card in CARDS])
async def test_each_sandbox_card_ends_on_the_shop_s_return_page_with_the_api_s_outcome(
    citizen: Page, live_server: LiveServer, shop_key: str, card: SandboxCard
) -> None:
    number, outcome = card.number, card.outcome
    status, code = EXPECTED[outcome]
    payment_id = await buy_permit(citizen)
    await enter_card(citizen, number)
    if outcome is SandboxOutcome.THREE_D_SECURE:
        await citizen.get_by_role("button", name="Authenticate", exact=True).click()
    if status == "success":
        await expect(citizen.get_by_role("heading", level=1)).to_have_text("Confirm your payment")
        await citizen.get_by_role("button", name="Confirm payment", exact=True).click()
    else:
        await citizen.get_by_role("link", name="Go back to try the payment again").click()
    await expect(citizen).to_have_url(re.compile(r"/examples/parking-permits/return/"))
    heading = "Permit paid for" if status == "success" else "Your payment was not taken"
    await expect(citizen.locator("h1, .govuk-panel__title").first).to_have_text(heading)
    summary = citizen.locator(".govuk-summary-list")
    await expect(summary).to_contain_text(payment_id)
    await expect(summary).to_contain_text(status)
    answer = httpx.get(
        f"{live_server.url}/v1/payments/{payment_id}", headers={"Authorization": f"Bearer {shop_key}"}, timeout=10
    ).json()
    assert answer["state"]["status"] == status and answer["state"].get("code") == code
    assert answer["card_details"]["last_digits_card_number"] == number[-4:]
    if code is not None:
        await expect(summary).to_contain_text(code)
