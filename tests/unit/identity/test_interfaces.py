"""identity/interfaces.py's sign-in links: a path on this site comes back as given, anything that could
leave the site is refused before a link is made, and the levels are One Login's two."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from govplatform.identity.interfaces import level_covers, sign_in_redirect, sign_in_url


def test_a_sign_in_link_carries_the_page_to_come_back_to_and_the_level() -> None:
    link = urlsplit(sign_in_url("/forms/parking/start?step=2", "Cl"))
    assert link.path == "/identity/sign-in/start" and not link.netloc
    assert parse_qs(link.query) == {"return_to": ["/forms/parking/start?step=2"], "level": ["Cl"]}
    assert parse_qs(urlsplit(sign_in_url("/account")).query)["level"] == ["Cl.Cm"]


@pytest.mark.parametrize(
    "return_to",
    [
        "https://evil.example.com/",
        "//evil.example.com/path",
        "/\\evil.example.com",
        "\\\\evil.example.com",
        "evil.example.com/path",
        "javascript:alert(1)",
        "/path\r\nSet-Cookie: x=1",
        "/path\twith-tab",
        "",
        "/" + "a" * 2100,
    ],
)
def test_a_page_that_could_leave_the_site_is_refused(return_to: str) -> None:
    with pytest.raises(ValueError, match="path on this site"):
        sign_in_url(return_to)


def test_an_unknown_level_is_refused_and_a_redirect_is_a_303_to_the_link() -> None:
    with pytest.raises(ValueError, match="level"):
        sign_in_url("/account", "P2")
    answer = sign_in_redirect("/account", "Cl")
    assert answer.status_code == 303 and answer.headers["location"] == sign_in_url("/account", "Cl")


def test_a_password_and_a_second_factor_cover_a_password_alone_but_not_the_reverse() -> None:
    assert level_covers("Cl.Cm", "Cl") and level_covers("Cl", "Cl") and level_covers("Cl.Cm", "Cl.Cm")
    assert not level_covers("Cl", "Cl.Cm") and not level_covers("P2", "Cl")
