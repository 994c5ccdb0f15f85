"""Notify's bulk sending and callbacks pages in the browser: no accessibility violations in English or Welsh,
and a file of recipients uploaded and sent with JavaScript off.

The demo service is in trial mode, so every file is addressed to the demo user, who is on its team.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.async_api import BrowserContext, FilePayload, Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, TEXT, Authenticator, open_in, screenshot, sign_in
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
BODY = "Hello ((name)), your bin goes out on ((day))."
GOOD_FILE = "reminders.csv"
GOOD_ROWS = b"email address,name,day\ndemo@example.gov.uk,Ada,Tuesday\ndemo@example.gov.uk,Bob,Friday\n"
BAD_ROWS = b"email address,name,day\nnot-an-email,Ada,Tuesday\ndemo@example.gov.uk,,Friday\n"

# Each page's main heading, in each language, written out so that a missing translation fails the test.
HEADINGS = {
    "upload": {"en": "Upload a list of recipients", "cy": "Uwchlwytho rhestr o dderbynwyr"},
    "check": {"en": "Check your file", "cy": "Gwiriwch eich ffeil"},
    "progress": {"en": f"Bulk send of {GOOD_FILE}", "cy": f"Anfoniad swmp o {GOOD_FILE}"},
    "bulk sends": {"en": "Bulk sends", "cy": "Anfoniadau swmp"},
    "callbacks": {"en": "Callbacks", "cy": "Galwadau yn ôl"},
    "callback form": {"en": "Delivery receipts", "cy": "Derbynebau danfon"},
}
WORDS = {
    "en": {"Upload file": "Upload file", "Your file has errors": "Your file has errors", "Save": "Save"},
    "cy": {"Upload file": "Uwchlwytho ffeil", "Your file has errors": "Mae gwallau yn eich ffeil", "Save": "Cadw"},
}


def csv(name: str, data: bytes) -> FilePayload:
    """A file for `set_input_files`, as a person would pick it from their computer."""
    return {"name": name, "mimeType": "text/csv", "buffer": data}


def email_template(live_server: LiveServer, name: str) -> str:
    """An email template made with the CLI; returns its id."""
    made = live_server.cli(
        "notify", "template", "create", "--service", live_server.demo.service_id, "--type", "email",
        "--name", name, "--subject", "Bins on ((day))", "--body", BODY, "--json",
    )  # fmt: skip
    return str(json.loads(made)["id"])


@pytest.fixture(scope="module")
async def bulk_pages(staff: BrowserContext, live_server: LiveServer) -> dict[str, str]:
    """Uploads two files (one left on its check page, one sent) and sets a callback; returns each page's path."""
    base = f"/admin/services/{live_server.demo.service_id}/notify"
    upload = f"{base}/templates/{email_template(live_server, 'Bin reminder')}/upload"
    page = await staff.new_page()
    paths = []
    for _ in range(2):
        await open_in(page, upload, "en")
        await page.get_by_label("Your file").set_input_files(csv(GOOD_FILE, GOOD_ROWS))
        await page.get_by_role("button", name="Upload file").click()
        await expect(page).to_have_url(re.compile(f"{upload}/{UUID}$"))
        paths.append(page.url.split(live_server.url, 1)[1])
    await page.get_by_role("button", name="Send 2 messages").click()
    await expect(page).to_have_url(re.compile(f"{base}/bulk-sends/{UUID}$"))
    progress = page.url.split(live_server.url, 1)[1]

    # A callback to a URL that refuses posts (405), so that failed deliveries may show in the table.
    await open_in(page, f"{base}/callbacks/delivery-receipts", "en")
    await page.get_by_label("URL").fill(f"{live_server.url}/healthz")
    await page.get_by_label("Bearer token").fill("a-demo-bearer-token")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("The callback has been saved")).to_be_visible()
    await page.close()
    return {
        "upload": upload,
        "check": paths[0],
        "progress": progress,
        "bulk sends": f"{base}/bulk-sends",
        "callbacks": f"{base}/callbacks",
        "callback form": f"{base}/callbacks/delivery-receipts",
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(HEADINGS))
async def test_the_bulk_and_callback_pages_have_no_accessibility_violations_in_english_and_welsh(
    staff: BrowserContext, bulk_pages: dict[str, str], name: str, language: str
) -> None:
    page = await staff.new_page()
    response = await open_in(page, bulk_pages[name], language)
    assert response.status == 200, f"{name} in {language} answered {response.status}"
    await expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS[name][language])
    await screenshot(page, f"notify-bulk-{name.replace(' ', '-')}-{language}")
    await assert_no_accessibility_violations(page)
    await page.close()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_row_by_row_error_report_has_no_accessibility_violations_in_english_and_welsh(
    staff: BrowserContext, bulk_pages: dict[str, str], language: str
) -> None:
    words = {**TEXT[language], **WORDS[language]}
    page = await staff.new_page()
    await open_in(page, bulk_pages["upload"], language)
    await page.locator("#file").set_input_files(csv("mistakes.csv", BAD_ROWS))
    await page.get_by_role("button", name=words["Upload file"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["Your file has errors"])
    await expect(page).to_have_title(re.compile(f"^{re.escape(words['Error:'])} "))
    await expect(page.get_by_role("alert")).to_contain_text(words["There is a problem"])
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("Not a valid email address")
    await expect(rows.nth(1)).to_contain_text("Missing personalisation: name")
    await screenshot(page, f"notify-bulk-errors-{language}")
    await assert_no_accessibility_violations(page)
    await page.close()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_callback_form_with_errors_has_no_accessibility_violations_in_english_and_welsh(
    staff: BrowserContext, bulk_pages: dict[str, str], language: str
) -> None:
    words = {**TEXT[language], **WORDS[language]}
    page = await staff.new_page()
    await open_in(page, bulk_pages["callback form"], language)
    await page.locator("#url").fill("ftp://example.gov.uk")
    await page.get_by_role("button", name=words["Save"], exact=True).click()
    await expect(page).to_have_title(re.compile(f"^{re.escape(words['Error:'])} "))
    await expect(page.get_by_role("alert").get_by_role("link")).to_have_attribute("href", "#url")
    await assert_no_accessibility_violations(page)
    await page.close()


async def test_a_staff_member_uploads_a_file_of_recipients_and_sends_it_without_javascript(
    page_without_javascript: Page, live_server: LiveServer, demo_authenticator: Authenticator
) -> None:
    page = page_without_javascript
    email_template(live_server, "Garden waste")
    await page.goto("/sign-in")
    await sign_in(page, live_server.demo.email, live_server.demo.password, demo_authenticator)
    await expect(page).to_have_url(f"{live_server.url}/admin")

    await page.goto(f"/admin/services/{live_server.demo.service_id}")
    await page.get_by_role("link", name="Templates", exact=True).click()
    await page.get_by_role("link", name="Garden waste").click()
    await page.get_by_role("button", name="Upload a list of recipients").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Upload a list of recipients")
    await page.get_by_label("Your file").set_input_files(csv("garden.csv", GOOD_ROWS))
    await page.get_by_role("button", name="Upload file").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Check your file")
    await expect(page.locator(".govuk-summary-card")).to_contain_text("Hello Ada, your bin goes out on Tuesday.")
    await page.get_by_role("button", name="Send 2 messages").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bulk send of garden.csv")
    status = page.locator(".govuk-summary-list__row").filter(has_text="Status")
    for _ in range(30):  # the embedded worker polls every 2 seconds; each look is a plain page load
        if "Finished" in await status.inner_text():
            break
        await page.wait_for_timeout(500)
        await page.get_by_role("button", name="Refresh").click()
    await expect(status).to_contain_text("Finished")
    await expect(page.get_by_text("2 of 2")).to_be_visible()
    await page.get_by_role("link", name="Bulk sends", exact=True).click()
    await expect(page.get_by_role("link", name="garden.csv")).to_be_visible()
