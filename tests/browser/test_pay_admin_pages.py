"""Pay's admin pages and a payment link's pages in the browser, in English: no accessibility violations.

The demo user (an admin of the demo service and a platform admin) sets the pages up through the pages
themselves: a payment link, a webhook and the payment settings. A citizen then pays through the link in
another browser, from the link's page through the hosted payment pages to the link's confirmation, and the
demo user refunds part of that payment. Welsh follows once the new messages are translated.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, BrowserContext, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.conftest import new_context
from tests.browser.pages import screenshot
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

LINK_TITLE = "Pay for a garden waste bin"
REFERENCE = "BIN-2026-01"
PAYMENT_ID = r"[0-9a-v]{26}"


async def pay_through_the_link(browser: Browser, live_server: LiveServer, slug: str) -> tuple[str, str]:
    """A citizen pays with a test card from the link's page; the paths of the confirmation page and the payment."""
    context = await new_context(browser, live_server)
    page = await context.new_page()
    await page.goto(f"/pay/{slug}")
    await page.get_by_label("Your reference").fill(REFERENCE)
    await page.get_by_role("button", name="Continue to payment").click()
    await expect(page).to_have_url(re.compile(f"/card_details/{PAYMENT_ID}$"))
    payment_id = page.url.rsplit("/", 1)[1]
    await page.get_by_label("Card number").fill("4242 4242 4242 4242")
    await page.get_by_label("Month").fill("11")
    await page.get_by_label("Year").fill("2035")
    await page.get_by_label("Name on card").fill("Ada Lovelace")
    await page.get_by_label("Card security code").fill("123")
    await page.get_by_label("Address line 1").fill("1 High Street")
    await page.get_by_label("Town or city").fill("London")
    await page.get_by_label("Postcode", exact=True).fill("SW1A 1AA")
    await page.get_by_label("Email address").fill("ada@example.org")
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("button", name="Confirm payment").click()
    await expect(page).to_have_url(f"{live_server.url}/pay/{slug}/complete/{payment_id}")
    await expect(page.locator(".govuk-panel")).to_contain_text(REFERENCE)
    await context.close()
    return f"/pay/{slug}/complete/{payment_id}", payment_id


@pytest.fixture(scope="module")
async def pay_pages(staff: BrowserContext, browser: Browser, live_server: LiveServer) -> dict[str, tuple[str, str]]:
    """Sets the demo service's pay pages up through the pages; each page's path and its main heading."""
    service = f"/admin/services/{live_server.demo.service_id}/pay"
    base = f"{service}/test"
    page = await staff.new_page()
    await page.goto(f"{base}/payment-links/new")
    await page.get_by_label("Title", exact=True).fill(LINK_TITLE)
    await page.get_by_label("Details (optional)").fill("Your bin is collected every other week.")
    await page.get_by_label("Yes, everyone pays the same amount").check()
    await page.get_by_label("Amount", exact=True).fill("45")
    await page.get_by_label("English").check()
    await page.get_by_label("No, test payments with test cards").check()
    await page.get_by_role("button", name="Create payment link").click()
    await expect(page.get_by_text("Your payment link is ready at")).to_be_visible()
    slug = "pay-for-a-garden-waste-bin"

    await page.goto(f"{base}/webhooks/new")
    await page.get_by_label("Callback URL").fill("http://127.0.0.1:9/hooks")
    await page.get_by_role("button", name="Create webhook").click()
    await expect(page.locator("#signing-secret")).to_have_text(re.compile("^webhook_test_"))
    await page.get_by_role("link", name="Go to the webhook").click()
    webhook = "/" + page.url.split("://", 1)[1].split("/", 1)[1]

    await page.goto(f"{service}/settings")
    await page.get_by_label("In English").fill("Demo bins")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_text("The settings have been saved")).to_be_visible()

    complete, payment_id = await pay_through_the_link(browser, live_server, slug)
    payment = f"{base}/payments/{payment_id}"
    await page.goto(payment)
    await page.get_by_label("Partial refund").check()
    await page.get_by_label("Amount to refund").fill("5")
    await page.get_by_role("button", name="Refund").click()
    await expect(page.get_by_text("£40.00 is available to refund.")).to_be_visible()

    await page.goto(webhook)
    await page.get_by_role("link", name=re.compile("^Payment started")).first.click()
    message = "/" + page.url.split("://", 1)[1].split("/", 1)[1]
    await page.close()
    return {
        "payments": (f"{base}/payments", "Payments"),
        "payments found": (f"{base}/payments?reference=BIN&state=success", "Payments"),
        "payment": (payment, f"Payment {REFERENCE}"),
        "refunds": (f"{base}/refunds", "Refunds"),
        "daily totals": (f"{base}/daily-totals", "Daily totals"),
        "live payments": (f"{service}/live/payments", "Payments"),
        "payment links": (f"{base}/payment-links", "Payment links"),
        "new payment link": (f"{base}/payment-links/new", "Create a payment link"),
        "webhooks": (f"{base}/webhooks", "Webhooks"),
        "new webhook": (f"{base}/webhooks/new", "Create a webhook"),
        "webhook": (webhook, "Webhook"),
        "webhook message": (message, "Event Payment started"),
        "settings": (f"{service}/settings", "Payment settings"),
        "link": (f"/pay/{slug}", LINK_TITLE),
        "link paid": (complete, "Payment successful"),
    }


@pytest.mark.parametrize("name", ["payments", "payments found", "payment", "refunds", "daily totals", "live payments",
                                  "payment links", "new payment link", "webhooks", "new webhook", "webhook",
                                  "webhook message", "settings", "link", "link paid"])  # fmt: skip
async def test_the_pay_admin_and_payment_link_pages_have_no_accessibility_violations_in_english(
    staff: BrowserContext, pay_pages: dict[str, tuple[str, str]], name: str
) -> None:
    path, heading = pay_pages[name]
    page = await staff.new_page()
    response = await page.goto(path)
    assert response is not None and response.status == 200, f"{name} answered {response and response.status}"
    if name == "link paid":
        await expect(page.locator(".govuk-panel__title")).to_have_text(heading)
    else:
        await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    await screenshot(page, f"pay-admin-{name.replace(' ', '-')}")
    await assert_no_accessibility_violations(page)
    await page.close()


async def test_the_pages_with_errors_have_no_accessibility_violations_in_english(
    staff: BrowserContext, pay_pages: dict[str, tuple[str, str]]
) -> None:
    page = await staff.new_page()
    await page.goto(pay_pages["payment"][0])
    await page.get_by_label("Partial refund").check()
    await page.get_by_label("Amount to refund").fill("1000")
    await page.get_by_role("button", name="Refund").click()
    await expect(page).to_have_title(re.compile("^Error: "))
    await expect(page.get_by_role("alert")).to_contain_text("Enter an amount of no more than £40.00")
    await assert_no_accessibility_violations(page)

    await page.goto(pay_pages["payments"][0] + "?last_digits=12&from-day=31&from-month=2&from-year=2026")
    await expect(page.get_by_role("alert")).to_contain_text("Enter the last 4 digits of the card")
    await assert_no_accessibility_violations(page)

    await page.goto(pay_pages["new webhook"][0])
    await page.get_by_role("button", name="Create webhook").click()
    await expect(page.get_by_role("alert")).to_contain_text("Enter the callback URL")
    await assert_no_accessibility_violations(page)

    await page.goto(pay_pages["link"][0])
    await page.get_by_role("button", name="Continue to payment").click()
    await expect(page.get_by_role("alert").get_by_role("link", name="Enter your reference")).to_have_attribute(
        "href", "#reference"
    )
    await screenshot(page, "pay-link-errors")
    await assert_no_accessibility_violations(page)
    await page.close()
