"""The hosted payment pages in Chromium: every page of the journey in English and Welsh, checked with axe.

A service's own pages are stood in for by Playwright routes on another site
(`http://service.example.test`): its start page sends the user to the
next_url (a link in English, the next_url_post form in Welsh, as services do
both), and its return_url page is where the journey must end. axe runs in the
page, so those journeys have JavaScript on; one more journey, with it off,
shows that paying needs no JavaScript. The words are written out here, not
read from the catalogue, so a missing translation fails the test.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.conftest import new_context
from tests.browser.pages import LANGUAGES, screenshot
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

SERVICE = "http://service.example.test"
RETURN_PAGE = "<!doctype html><html lang='en'><title>Back at the service</title><h1>Back at the service</h1></html>"
WORDS = {
    "en": {
        "Enter card details": "Enter card details",
        "Error:": "Error:",
        "Enter your card number": "Enter your card number",
        "Card number": "Card number",
        "Month": "Month",
        "Year": "Year",
        "Name on card": "Name on card",
        "Card security code": "Card security code",
        "Address line 1": "Address line 1",
        "Town or city": "Town or city",
        "Postcode": "Postcode",
        "Country or territory": "Country or territory",
        "Email address": "Email address",
        "Continue": "Continue",
        "Confirm it’s you": "Confirm it’s you",
        "Authenticate": "Authenticate",
        "Confirm your payment": "Confirm your payment",
        "Confirm payment": "Confirm payment",
        "Cancel payment": "Cancel payment",
        "Visa ending in 3155": "Visa ending in 3155",
        "Your payment was successful": "Your payment was successful",
        "Your payment has been declined": "Your payment has been declined",
        "Go back to try the payment again": "Go back to try the payment again",
        "Your payment has been cancelled": "Your payment has been cancelled",
        "Sorry, we’re experiencing technical problems": "Sorry, we’re experiencing technical problems",
        "Your session has ended": "Your session has ended",
        "This payment link has expired": "This payment link has expired",
    },
    "cy": {
        "Enter card details": "Rhowch fanylion y cerdyn",
        "Error:": "Gwall:",
        "Enter your card number": "Rhowch rif eich cerdyn",
        "Card number": "Rhif cerdyn",
        "Month": "Mis",
        "Year": "Blwyddyn",
        "Name on card": "Enw ar y cerdyn",
        "Card security code": "Cod diogelwch y cerdyn",
        "Address line 1": "Llinell 1 y cyfeiriad",
        "Town or city": "Tref neu ddinas",
        "Postcode": "Cod post",
        "Country or territory": "Gwlad neu diriogaeth",
        "Email address": "Cyfeiriad e-bost",
        "Continue": "Parhau",
        "Confirm it’s you": "Cadarnhewch mai chi sydd yno",
        "Authenticate": "Dilysu",
        "Confirm your payment": "Cadarnhau eich taliad",
        "Confirm payment": "Cadarnhau’r taliad",
        "Cancel payment": "Canslo’r taliad",
        "Visa ending in 3155": "Visa yn gorffen gyda 3155",
        "Your payment was successful": "Roedd eich taliad yn llwyddiannus",
        "Your payment has been declined": "Mae eich taliad wedi cael ei wrthod",
        "Go back to try the payment again": "Mynd yn ôl i geisio’r taliad eto",
        "Your payment has been cancelled": "Mae eich taliad wedi ei ganslo",
        "Sorry, we’re experiencing technical problems": "Mae’n flin gennym ond rydym yn profi problemau technegol",
        "Your session has ended": "Mae eich sesiwn wedi dod i ben",
        "This payment link has expired": "Mae’r ddolen dalu hon wedi dod i ben",
    },
}


@pytest.fixture(scope="module")
def pay_key(live_server: LiveServer) -> str:
    made = json.loads(
        live_server.cli("pay", "key", "create", "--service", live_server.demo.service_id, "--mode", "test", "--json")
    )
    key: str = made["key"]
    return key


def create_payment(live_server: LiveServer, key: str, language: str, reference: str) -> dict[str, Any]:
    response = httpx.post(
        f"{live_server.url}/v1/payments",
        json={
            "amount": 4250,
            "reference": reference,
            "description": "Garden waste collection",
            "return_url": f"{SERVICE}/return/{reference}",
            "language": language,
        },
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    payment: dict[str, Any] = response.json()
    return payment


def payment_state(live_server: LiveServer, key: str, payment_id: str) -> dict[str, Any]:
    response = httpx.get(
        f"{live_server.url}/v1/payments/{payment_id}", headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    state: dict[str, Any] = response.json()["state"]
    return state


async def stand_in_for_the_service(context: BrowserContext, payments: dict[str, dict[str, Any]]) -> None:
    """The service's site: /start/{reference} sends the user to pay, /return/{reference} is where they come back."""

    async def serve(route: Route) -> None:
        path = route.request.url.removeprefix(SERVICE)
        kind, _, reference = path.strip("/").partition("/")
        if kind == "return":
            await route.fulfill(status=200, content_type="text/html", body=RETURN_PAGE)
            return
        links = payments[reference]["_links"]
        if payments[reference]["language"] == "en":
            body = f"<a href='{html.escape(links['next_url']['href'])}'>Pay now</a>"
        else:
            post = links["next_url_post"]
            fields = "".join(
                f"<input type='hidden' name='{html.escape(name)}' value='{html.escape(value)}'>"
                for name, value in post["params"].items()
            )
            body = f"<form method='post' action='{html.escape(post['href'])}'>{fields}<button>Pay now</button></form>"
        await route.fulfill(status=200, content_type="text/html", body=f"<!doctype html><html lang='en'>{body}</html>")

    await context.route(f"{SERVICE}/**", serve)


@pytest.fixture
async def payer(browser: Browser, live_server: LiveServer) -> AsyncIterator[Page]:
    """A paying user's browser, a first-time visitor to the platform."""
    context = await new_context(browser, live_server)
    yield await context.new_page()
    await context.close()


@pytest.fixture
async def payer_without_javascript(browser: Browser, live_server: LiveServer) -> AsyncIterator[Page]:
    context = await new_context(browser, live_server, javascript=False)
    yield await context.new_page()
    await context.close()


async def start_paying(page: Page, live_server: LiveServer, key: str, language: str, reference: str) -> dict[str, Any]:
    """Create a payment as the service would and go from the service's page to the card details page."""
    payment = create_payment(live_server, key, language, reference)
    await stand_in_for_the_service(page.context, {reference: payment})
    await page.goto(f"{SERVICE}/start/{reference}")
    if language == "en":
        await page.get_by_role("link", name="Pay now").click()
    else:
        await page.get_by_role("button", name="Pay now").click()
    await expect(page).to_have_url(f"{live_server.url}/card_details/{payment['payment_id']}")
    return payment


async def fill_card(page: Page, language: str, number: str) -> None:
    words = WORDS[language]
    await page.get_by_label(words["Card number"]).fill(number)
    await page.get_by_label(words["Month"]).fill("11")
    await page.get_by_label(words["Year"]).fill("2035")
    await page.get_by_label(words["Name on card"]).fill("Gwen Jones")
    await page.get_by_label(words["Card security code"]).fill("321")
    await page.get_by_label(words["Address line 1"]).fill("1 Heol y Frenhines")
    await page.get_by_label(words["Town or city"]).fill("Caerdydd")
    await page.get_by_label(words["Postcode"], exact=True).fill("CF10 1AA")
    await page.get_by_label(words["Email address"]).fill("gwen@example.org")
    await page.get_by_role("button", name=words["Continue"], exact=True).click()


async def heading_is(page: Page, language: str, key: str) -> None:
    """The page's main heading is WORDS[language][key], and the page says it is in that language."""
    await expect(page.get_by_role("heading", level=1)).to_have_text(WORDS[language][key])
    await expect(page.locator("html")).to_have_attribute("lang", language)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_paying_with_3d_secure_goes_through_every_page_without_accessibility_violations(
    payer: Page, live_server: LiveServer, pay_key: str, language: str
) -> None:
    words = WORDS[language]
    payment = await start_paying(payer, live_server, pay_key, language, f"3DS-{language}")
    await heading_is(payer, language, "Enter card details")
    await expect(payer.get_by_text("£42.50")).to_be_visible()
    await assert_no_accessibility_violations(payer)
    await screenshot(payer, f"pay-card-details-{language}")

    await payer.get_by_role("button", name=words["Continue"], exact=True).click()
    await expect(payer).to_have_title(re.compile(f"^{re.escape(words['Error:'])}"))
    await expect(payer.locator(".govuk-error-summary")).to_contain_text(words["Enter your card number"])
    await assert_no_accessibility_violations(payer)
    await screenshot(payer, f"pay-card-details-errors-{language}")

    await fill_card(payer, language, "4000 0025 0000 3155")
    await expect(payer).to_have_url(f"{live_server.url}/card_details/{payment['payment_id']}/3ds")
    await heading_is(payer, language, "Confirm it’s you")
    await assert_no_accessibility_violations(payer)
    await screenshot(payer, f"pay-3ds-{language}")

    await payer.get_by_role("button", name=words["Authenticate"], exact=True).click()
    await heading_is(payer, language, "Confirm your payment")
    await expect(payer.locator(".govuk-summary-list")).to_contain_text(words["Visa ending in 3155"])
    await assert_no_accessibility_violations(payer)
    await screenshot(payer, f"pay-confirm-{language}")

    await payer.get_by_role("button", name=words["Confirm payment"], exact=True).click()
    await expect(payer).to_have_url(f"{SERVICE}/return/3DS-{language}")
    assert payment_state(live_server, pay_key, payment["payment_id"]) == {"status": "success", "finished": True}

    await payer.goto(f"{live_server.url}/card_details/{payment['payment_id']}")
    await heading_is(payer, language, "Your payment was successful")
    await assert_no_accessibility_violations(payer)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("number", "heading"),
    [
        ("4000000000000002", "Your payment has been declined"),
        ("4000000000000119", "Sorry, we’re experiencing technical problems"),
    ],
)
async def test_a_card_that_does_not_go_through_ends_on_an_accessible_page_that_leads_back_to_the_service(
    payer: Page, live_server: LiveServer, pay_key: str, language: str, number: str, heading: str
) -> None:
    words = WORDS[language]
    reference = f"FAIL-{number[-3:]}-{language}"
    await start_paying(payer, live_server, pay_key, language, reference)
    await fill_card(payer, language, number)
    await heading_is(payer, language, heading)
    await assert_no_accessibility_violations(payer)
    await screenshot(payer, f"pay-{number[-3:]}-{language}")
    await payer.get_by_role("link", name=words["Go back to try the payment again"]).click()
    await expect(payer).to_have_url(f"{SERVICE}/return/{reference}")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_cancelling_ends_on_an_accessible_page_and_the_service_sees_the_user_cancelled(
    payer: Page, live_server: LiveServer, pay_key: str, language: str
) -> None:
    words = WORDS[language]
    payment = await start_paying(payer, live_server, pay_key, language, f"CANCEL-{language}")
    await payer.get_by_role("button", name=words["Cancel payment"], exact=True).click()
    await heading_is(payer, language, "Your payment has been cancelled")
    await assert_no_accessibility_violations(payer)
    await screenshot(payer, f"pay-cancelled-{language}")
    assert payment_state(live_server, pay_key, payment["payment_id"])["code"] == "P0030"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_another_browser_and_a_used_link_get_accessible_pages_that_show_nothing_of_the_payment(
    payer: Page, browser: Browser, live_server: LiveServer, pay_key: str, language: str
) -> None:
    payment = await start_paying(payer, live_server, pay_key, language, f"OTHER-{language}")
    other = await new_context(browser, live_server)
    try:
        page = await other.new_page()
        await page.goto(f"/card_details/{payment['payment_id']}?lang={language}")
        await heading_is(page, language, "Your session has ended")
        await expect(page.get_by_text("Garden waste collection")).to_have_count(0)
        await assert_no_accessibility_violations(page)
        await page.goto(payment["_links"]["next_url"]["href"] + f"?lang={language}")
        await heading_is(page, language, "This payment link has expired")
        await assert_no_accessibility_violations(page)
    finally:
        await other.close()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_paying_needs_no_javascript(
    payer_without_javascript: Page, live_server: LiveServer, pay_key: str, language: str
) -> None:
    page, words = payer_without_javascript, WORDS[language]
    payment = await start_paying(page, live_server, pay_key, language, f"NOJS-{language}")
    await page.get_by_role("button", name=words["Continue"], exact=True).click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text(words["Enter your card number"])
    await fill_card(page, language, "4000002500003155")
    await page.get_by_role("button", name=words["Authenticate"], exact=True).click()
    await heading_is(page, language, "Confirm your payment")
    await page.get_by_role("button", name=words["Confirm payment"], exact=True).click()
    await expect(page).to_have_url(f"{SERVICE}/return/NOJS-{language}")
    assert payment_state(live_server, pay_key, payment["payment_id"]) == {"status": "success", "finished": True}
