"""Identity proving's success rates in the browser, in English and Welsh: the demo user (a platform admin)
follows the admin home's link to the page, reads a route's table, and the page, bars and all, is axe-clean."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, open_in, screenshot
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

PERSON = "browser-proving-rates-"  # the rows this module adds, and takes away again, begin so
WORDS = {
    "en": {"link": "Identity proving success rates", "passport": "UK passport", "whole": "Whole route"},
    "cy": {"link": "Cyfraddau llwyddiant profi hunaniaeth", "passport": "Pasbort y DU", "whole": "Y llwybr cyfan"},
}


@pytest.fixture(scope="module")
def outcomes(live_server: LiveServer) -> Iterator[None]:
    """Two people's tries at the passport route: one passes at once, one fails then passes. Written to the
    server's database as `outcomes.record` writes them (a journey's tries are the lead's browser tests')."""
    database = Path(live_server.env["GOVPLATFORM_VAR_DIR"]) / "browser.db"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    rows = [
        (f"{PERSON}1", "route", True, True),
        (f"{PERSON}1", "document", True, True),
        (f"{PERSON}2", "document", False, True),
        (f"{PERSON}2", "route", False, True),
        (f"{PERSON}2", "document", True, False),
        (f"{PERSON}2", "route", True, False),
    ]
    with sqlite3.connect(database) as connection:
        connection.executemany(
            "INSERT INTO identity_proving_outcomes (person, attempt_id, route, step, provider, passed, first_try,"
            " detail, occurred_at) VALUES (?, ?, 'uk_passport', ?, 'sandbox', ?, ?, 'P2', ?)",
            [(person, uuid.uuid4().hex, step, passed, first, now) for person, step, passed, first in rows],
        )
    yield
    with sqlite3.connect(database) as connection:
        connection.execute("DELETE FROM identity_proving_outcomes WHERE person LIKE ?", (f"{PERSON}%",))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_platform_admin_reads_the_success_rates_on_an_axe_clean_page(
    staff: BrowserContext, live_server: LiveServer, outcomes: None, language: str
) -> None:
    words = WORDS[language]
    page = await staff.new_page()
    await open_in(page, "/admin", language)
    await page.get_by_role("link", name=words["link"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["link"])
    passport = page.get_by_role("table", name=words["passport"])
    row = passport.get_by_role("row").filter(has=page.get_by_role("rowheader", name=words["whole"], exact=True))
    # At least these two people: the lead's journey tests may have added their own tries by now.
    await expect(row.get_by_role("cell").nth(1)).not_to_have_text("0")
    await expect(passport.locator("svg[aria-hidden='true']").first).to_be_attached()
    await screenshot(page, f"identity-proving-rates-{language}")
    await assert_no_accessibility_violations(page)
    await page.close()
