"""Notify's admin pages in the browser: no accessibility violations in English or Welsh, and a template
created, previewed and sent as a test with JavaScript off.

The demo user (an admin of the demo service and a platform admin) sets up what the pages show through the
pages themselves: a template, a test sent from it, a guest, a reply-to address and a text message sender.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, TEXT, Authenticator, open_in, screenshot, sign_in
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

TEMPLATE_NAME = "Appointment reminder"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

# Each page's main heading, in each language, written out so that a missing translation fails the test.
HEADINGS = {
    "templates": {"en": "Templates", "cy": "Templedi"},
    "choose type": {"en": "Choose a type of template", "cy": "Dewiswch fath o dempled"},
    "template": {"en": TEMPLATE_NAME, "cy": TEMPLATE_NAME},
    "versions": {"en": f"Version history of {TEMPLATE_NAME}", "cy": f"Hanes fersiynau {TEMPLATE_NAME}"},
    "send test": {"en": "Send a test to yourself", "cy": "Anfon prawf atoch chi eich hun"},
    "messages": {"en": "Sent messages", "cy": "Negeseuon a anfonwyd"},
    "message": {"en": "Message to demo@example.gov.uk", "cy": "Neges at demo@example.gov.uk"},
    "guest list": {"en": "Guest list", "cy": "Rhestr westeion"},
    "senders": {"en": "Senders", "cy": "Anfonwyr"},
    "usage": {"en": "Usage", "cy": "Defnydd"},
    "limits": {"en": "Limits", "cy": "Terfynau"},
}
WORDS = {
    "en": {
        "Save": "Save",
        "Enter a template name": "Enter a template name",
        "New email template": "New email template",
    },
    "cy": {
        "Save": "Cadw",
        "Enter a template name": "Rhowch enw i’r templed",
        "New email template": "Templed e-bost newydd",
    },
}


def path_of(page: Page) -> str:
    return "/" + page.url.split("://", 1)[1].split("/", 1)[1].split("?")[0]


@pytest.fixture(scope="module")
async def notify_pages(staff: BrowserContext, live_server: LiveServer) -> dict[str, str]:
    """Sets the demo service up through its pages; returns the path of each page to check."""
    base = f"/admin/services/{live_server.demo.service_id}/notify"
    page = await staff.new_page()
    await open_in(page, f"{base}/templates/new/email", "en")
    await page.get_by_label("Template name").fill(TEMPLATE_NAME)
    await page.get_by_label("Subject").fill("Your appointment on ((day))")
    await page.get_by_label("Message").fill("# Your appointment\n\nHello ((name)), see you on ((day)).")
    await page.get_by_role("button", name="Save").click()
    await expect(page).to_have_url(re.compile(f"{base}/templates/{UUID}\\?saved=1$"))
    template = path_of(page)

    await page.get_by_role("button", name="Send a test to yourself").click()
    await page.get_by_label("((name))").fill("Ada")
    await page.get_by_label("((day))").fill("Monday")
    await page.get_by_role("button", name="Send test").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Test message sent")
    await page.get_by_role("link", name="See the message and its status").click()
    message = path_of(page)

    await page.goto(f"{base}/guest-list")
    await page.get_by_label("Email address or mobile number").fill("guest@example.com")
    await page.get_by_role("button", name="Add to the guest list").click()
    await page.goto(f"{base}/senders")
    await page.get_by_label("Reply-to email address").fill("replies@example.gov.uk")
    await page.get_by_role("button", name="Add reply-to address").click()
    await page.get_by_label("Text message sender", exact=True).fill("DemoBC")
    await page.get_by_role("button", name="Add text message sender").click()
    await expect(page.get_by_role("row").filter(has_text="DemoBC")).to_contain_text("Default")
    await page.close()
    return {
        "templates": f"{base}/templates",
        "choose type": f"{base}/templates/new",
        "template": template,
        "versions": f"{template}/versions",
        "send test": f"{template}/send-test",
        "messages": f"{base}/messages",
        "message": message,
        "guest list": f"{base}/guest-list",
        "senders": f"{base}/senders",
        "usage": f"{base}/usage",
        "limits": f"{base}/limits",
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(HEADINGS))
async def test_the_notify_pages_have_no_accessibility_violations_in_english_and_welsh(
    staff: BrowserContext, notify_pages: dict[str, str], name: str, language: str
) -> None:
    page = await staff.new_page()
    response = await open_in(page, notify_pages[name], language)
    assert response.status == 200, f"{name} in {language} answered {response.status}"
    await expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS[name][language])
    await screenshot(page, f"notify-{name.replace(' ', '-')}-{language}")
    await assert_no_accessibility_violations(page)
    await page.close()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_new_template_page_with_errors_has_no_accessibility_violations_in_english_and_welsh(
    staff: BrowserContext, notify_pages: dict[str, str], language: str
) -> None:
    words = {**TEXT[language], **WORDS[language]}
    page = await staff.new_page()
    await open_in(page, f"{notify_pages['templates']}/new/email", language)
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["New email template"])
    await page.get_by_role("button", name=words["Save"], exact=True).click()

    await expect(page).to_have_title(re.compile(f"^{re.escape(words['Error:'])} "))
    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text(words["There is a problem"])
    await expect(summary.get_by_role("link", name=words["Enter a template name"])).to_have_attribute("href", "#name")
    await assert_no_accessibility_violations(page)
    await page.close()


async def test_a_staff_member_creates_a_template_previews_it_and_sends_a_test_without_javascript(
    page_without_javascript: Page, live_server: LiveServer, demo_authenticator: Authenticator
) -> None:
    page = page_without_javascript
    await page.goto("/sign-in")
    await sign_in(page, live_server.demo.email, live_server.demo.password, demo_authenticator)
    await expect(page).to_have_url(f"{live_server.url}/admin")

    await page.goto(f"/admin/services/{live_server.demo.service_id}")
    await page.get_by_role("link", name="Templates", exact=True).click()
    await page.get_by_role("button", name="New template").click()
    await page.get_by_label("Email", exact=True).check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label("Template name").fill("Permit ready")
    await page.get_by_label("Subject").fill("Your permit")
    await page.get_by_label("Message").fill("Dear ((name)), your permit is ready.")
    await page.get_by_role("button", name="Preview").click()
    preview = page.locator(".govuk-summary-card")
    await expect(preview).to_contain_text("Preview (not saved)")
    await expect(preview.locator("mark")).to_have_text("((name))")
    await expect(page.get_by_label("Message")).to_have_value("Dear ((name)), your permit is ready.")

    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Permit ready")
    await expect(page.get_by_text("Template saved as version 1")).to_be_visible()
    await page.get_by_role("button", name="Send a test to yourself").click()
    await page.get_by_label("((name))").fill("Grace")
    await page.get_by_role("button", name="Send test").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Test message sent")
    await page.get_by_role("link", name="See the message and its status").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Message to {live_server.demo.email}")
    await expect(page.get_by_text("Dear Grace, your permit is ready.")).to_be_visible()
    await expect(page.get_by_role("link", name="Permit ready")).to_have_attribute("href", re.compile("/versions/1$"))
