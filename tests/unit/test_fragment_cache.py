"""core's `cached` template global: a fragment is rendered once per key, and the cache stays bounded."""

from __future__ import annotations

import jinja2

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


def test_when_false_renders_afresh_and_keeps_nothing() -> None:
    templates = Templates("GovPlatform", "secret")
    page = templates.env.from_string('{% call cached("form", when=blank) %}<i>{{ typed }}</i>{% endcall %}')
    assert page.render(blank=False, typed="Ada Lovelace") == "<i>Ada Lovelace</i>"
    assert page.render(blank=True, typed="") == "<i></i>", "what was typed was not kept for the next visitor"
    assert page.render(blank=False, typed="<Grace>") == "<i>&lt;Grace&gt;</i>"
    assert page.render(blank=True, typed="") == "<i></i>"


def test_globals_set_before_the_first_page_reach_macros_imported_by_other_templates() -> None:
    """Templates copies the environment's globals into each template (see `_Environment`)."""
    templates = Templates("GovPlatform", "secret")
    templates.env.loader = jinja2.DictLoader(
        {
            "macros.html": "{% macro shout(x) %}{% call cached('k', x) %}{{ x | upper }}{% endcall %}{% endmacro %}",
            "page.html": "{% from 'macros.html' import shout %}{{ shout(word) }}|{{ range(2) | list }}",
        }
    )
    assert templates.env.get_template("page.html").render(word="hi") == "HI|[0, 1]"
