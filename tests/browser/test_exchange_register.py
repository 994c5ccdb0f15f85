"""The public register of data-sharing agreements, in English and Welsh, with the demo's agreement on it, and
readable on a 320-pixel screen (WCAG reflow)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, open_in

pytestmark = pytest.mark.browser

HEADINGS = {"en": "Register of data-sharing agreements", "cy": "Cofrestr o gytundebau rhannu data"}
SHARED = {"en": "Vehicle registration number, Vehicle make, Vehicle colour",
          "cy": "Rhif cofrestru cerbyd, Gwneuthuriad cerbyd, Lliw cerbyd"}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_register_shows_the_demo_agreement_without_accessibility_violations(
    page: Page, language: str
) -> None:
    await open_in(page, "/exchange/register", language)
    await expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS[language])
    await expect(page.get_by_text("Vehicle Licensing Agency (demo)").first).to_be_visible()
    await expect(page.get_by_text(SHARED[language])).to_be_visible()
    await assert_no_accessibility_violations(page)
    await page.set_viewport_size({"width": 320, "height": 800})
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 320, f"the register is {wide} px wide on a 320 px screen"
