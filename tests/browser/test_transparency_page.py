"""The public page about the transparency log, in English and Welsh."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES, open_in

pytestmark = pytest.mark.browser

HEADINGS = {"en": "How we record the use of your data", "cy": "Sut rydym yn cofnodi'r defnydd o'ch data"}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_transparency_page_explains_the_log_without_accessibility_violations(
    page: Page, language: str
) -> None:
    await open_in(page, "/transparency", language)
    await expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS[language])
    await expect(page.get_by_text("govplatform transparency verify")).to_be_visible()
    await assert_no_accessibility_violations(page)
