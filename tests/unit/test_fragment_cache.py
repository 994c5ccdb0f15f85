"""core's `cached` template global: a fragment is rendered once per key, and the cache stays bounded."""

from __future__ import annotations

from govplatform.core.web.templating import FragmentCache, Templates


def test_a_fragment_is_rendered_once_per_key_and_kept_as_markup() -> None:
    templates = Templates("GovPlatform", "secret")
    renders: list[str] = []
    page = templates.env.from_string(
        '{% call cached("greeting", who) %}{{ count(who) }}<b>{{ who }}</b>{% endcall %}',
        globals={"count": lambda who: renders.append(who) or ""},
    )
    assert page.render(who="Ada") == "<b>Ada</b>"
    assert page.render(who="Ada") == "<b>Ada</b>"
    assert page.render(who="<Grace>") == "<b>&lt;Grace&gt;</b>", "escaped once, not again when kept"
    assert page.render(who="<Grace>") == "<b>&lt;Grace&gt;</b>"
    assert renders == ["Ada", "<Grace>"]


def test_the_least_recently_used_fragment_is_dropped_beyond_the_size() -> None:
    cache = FragmentCache(size=2)
    renders: list[str] = []

    def render(name: str) -> str:
        renders.append(name)
        return name

    cache("a", caller=lambda: render("a"))
    cache("b", caller=lambda: render("b"))
    cache("a", caller=lambda: render("a"))  # a is now the most recent
    cache("c", caller=lambda: render("c"))  # b goes
    cache("a", caller=lambda: render("a"))
    cache("b", caller=lambda: render("b"))
    assert renders == ["a", "b", "c", "b"]
