"""A signed-in device is named by its browser and operating system in the words a person uses, from the
User-Agent header; what cannot be told is unknown, and nothing else of the header is kept."""

from __future__ import annotations

import pytest

from govplatform.identity.services.browsers import MAX_NAME, Browser, describe

CHROME = "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0"


@pytest.mark.parametrize(
    ("user_agent", "named"),
    [
        (f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {CHROME} Safari/537.36", ("Chrome", "Windows")),
        (f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {CHROME} Safari/537.36 Edg/131.0.0.0", ("Edge", "Windows")),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
         "Safari/605.1.15", ("Safari", "macOS")),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.1 Mobile/15E148 Safari/604.1", ("Safari", "iOS")),
        (f"Mozilla/5.0 (Linux; Android 14; Pixel 8) {CHROME} Mobile Safari/537.36", ("Chrome", "Android")),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 "
         "Safari/537.36", ("Chrome", "Linux")),
        ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", ("Firefox", "Ubuntu")),
    ],
)  # fmt: skip
def test_a_browser_is_named_in_plain_words(user_agent: str, named: tuple[str, str]) -> None:
    assert describe(user_agent) == Browser(*named)


@pytest.mark.parametrize("user_agent", [None, "", "   ", "Mozilla/5.0 (compatible)", "x"])
def test_a_header_that_names_no_browser_is_unknown(user_agent: str | None) -> None:
    assert describe(user_agent) == Browser(None, None)


def test_a_very_long_header_is_cut_before_parsing_and_the_names_fit_their_columns() -> None:
    named = describe("Mozilla/5.0 (Windows NT 10.0) " + "A" * 100_000 + " Firefox/133.0")
    assert named.operating_system == "Windows"
    assert named.browser != "Firefox"  # named only past the first 1000 characters, which are all that is read
    assert all(len(name) <= MAX_NAME for name in (named.browser or "", named.operating_system))
