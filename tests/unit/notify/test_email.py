import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.notify.templates import markdown
from govplatform.notify.templates.email import (
    MAX_EMAIL_BYTES,
    body_size_in_bytes,
    render_email,
    render_html_body,
    render_plain_text,
    render_subject,
    too_long_message,
)
from govplatform.notify.templates.placeholders import Personalisation


def html(content: str, **values: object) -> str:
    return render_html_body(content, Personalisation(values))


def text(content: str, **values: object) -> str:
    return render_plain_text(content, Personalisation(values))


def tags(rendered: str) -> str:
    """The HTML with attributes removed, so tests read as structure."""
    return re.sub(r"<(\w+)[^>]*>", r"<\1>", rendered)


@pytest.mark.parametrize(
    ("content", "structure"),
    [
        ("Hello", "<p>Hello</p>"),
        ("One\nTwo", "<p>One<br>Two</p>"),
        ("One\n\n\n\nTwo", "<p>One</p><p>Two</p>"),
        ("# Heading", "<h2>Heading</h2>"),
        ("#Heading", "<h2>Heading</h2>"),
        ("## Smaller", "<p>Smaller</p>"),
        ("Title\n===", "<h2>Title</h2>"),
        ("Title\n---", "<p>Title</p>"),
        ("Text\n# Heading", "<p>Text</p><h2>Heading</h2>"),
        ("---", "<hr>"),
        ("Above\n\n***\n\nBelow", "<p>Above</p><hr><p>Below</p>"),
        ("* a\n* b", "<table><tr><td><ul><li>a</li><li>b</li></ul></td></tr></table>"),
        ("- a\n- b", "<table><tr><td><ul><li>a</li><li>b</li></ul></td></tr></table>"),
        ("• a\n• b", "<table><tr><td><ul><li>a</li><li>b</li></ul></td></tr></table>"),
        ("1. a\n2. b", "<table><tr><td><ol><li>a</li><li>b</li></ol></td></tr></table>"),
        ("* a\n  continued", "<table><tr><td><ul><li>a<br>continued</li></ul></td></tr></table>"),
        (
            "* a\n  * nested",
            "<table><tr><td><ul><li>a<table><tr><td><ul><li>nested</li></ul></td></tr></table></li></ul></td></tr></table>",
        ),
        ("* a\n\n* b", "<table><tr><td><ul><li><p>a</p></li><li><p>b</p></li></ul></td></tr></table>"),
        ("Intro\n* not a list", "<p>Intro<br>* not a list</p>"),
        ("^ Inset", "<blockquote><p>Inset</p></blockquote>"),
        ("^ One\n^ Two\nlazy", "<blockquote><p>One<br>Two<br>lazy</p></blockquote>"),
        ("^ One\n\n^ Two", "<blockquote><p>One</p><p>Two</p></blockquote>"),
        ("^ # Heading in inset", "<blockquote><h2>Heading in inset</h2></blockquote>"),
        ("Intro\n^ not inset", "<p>Intro<br>^ not inset</p>"),
        (
            "*not bold* _not italic_ `not code` ~~no~~",
            "<table><tr><td><ul><li>not bold* _not italic_ `not code` ~~no~~</li></ul></td></tr></table>",
        ),
        ("Plain **not bold** _x_ `y` ~~z~~", "<p>Plain **not bold** _x_ `y` ~~z~~</p>"),
        ("\\* not a bullet", "<p>* not a bullet</p>"),
        ("    indented", "indented"),
        ("![alt](https://example.com/i.png)", ""),
    ],
)
def test_notifys_markdown_dialect_renders_to_these_html_structures(content: str, structure: str) -> None:
    assert tags(html(content)) == structure


@pytest.mark.parametrize(
    ("content", "link"),
    [
        (
            "Go to https://example.com/a?b=1&c=2.",
            '<a href="https://example.com/a?b=1&amp;c=2">https://example.com/a?b=1&amp;c=2</a>.',
        ),
        ("(see http://example.com)", '(see <a href="http://example.com">http://example.com</a>)'),
        ("[Apply now](https://www.gov.uk/apply)", '<a href="https://www.gov.uk/apply">Apply now</a>'),
        ('[Apply](https://x.gov.uk "Title")', '<a href="https://x.gov.uk" title="Title">Apply</a>'),
        ("[https://a.example](https://b.example)", '<a href="https://b.example">https://a.example</a>'),
        ("[Click](javascript:alert(1))", "Click)"),
    ],
)
def test_links_and_bare_urls_become_links(content: str, link: str) -> None:
    rendered = re.sub(r' style="[^"]*"', "", html(content))
    assert link in rendered


def test_personalisation_is_escaped_before_markdown_so_it_cannot_add_tags() -> None:
    rendered = html("Dear ((name))", name='<img src=x onerror="alert(1)">')
    assert "<img" not in rendered
    assert '&lt;img src=x onerror="alert(1)"&gt;' in rendered


def test_markdown_inside_personalisation_still_renders_as_notify_does() -> None:
    assert "<h2" in html("((heading))", heading="# Injected")


def test_a_personalised_url_cannot_leave_the_href_attribute() -> None:
    rendered = html("[Link](((url)))", url='https://x.example/"onmouseover="steal')
    assert 'href="https://x.example/&quot;onmouseover=&quot;steal"' in rendered


def test_a_bare_url_is_percent_encoded_in_the_href() -> None:
    rendered = html('https://example.com/"quoted"')
    assert 'href="https://example.com/%22quoted"' in rendered


def test_list_values_become_bullets_in_email() -> None:
    assert tags(html("You need:\n\n((items))", items=["passport", "photo"])) == (
        "<p>You need:</p><table><tr><td><ul><li>passport</li><li>photo</li></ul></td></tr></table>"
    )


def test_govuk_is_kept_from_becoming_a_link() -> None:
    assert "GOV.\u200bUK" in html("Visit GOV.UK today")
    assert "www.gov.uk/x" in html("Visit https://www.gov.uk/x today")


@pytest.mark.parametrize(
    ("content", "typeset"),
    [("A - B", "A \u2013 B"), ("Hello , world .", "Hello, world."), ("well-known", "well-known")],
)
def test_typography_matches_notify(content: str, typeset: str) -> None:
    assert typeset in html(content)
    assert typeset in text(content)


def test_the_unsubscribe_link_is_added_after_a_rule() -> None:
    rendered = render_html_body("Hi", Personalisation(), unsubscribe_url="https://example.com/unsub")
    assert tags(rendered) == "<p>Hi</p><hr><p><a>Unsubscribe from these emails</a></p>"
    assert 'href="https://example.com/unsub"' in rendered


@pytest.mark.parametrize(
    ("content", "plain"),
    [
        ("Hello", "Hello\n"),
        ("# Heading\n\nBody", "Heading\n" + "-" * 65 + "\n\nBody\n"),
        ("One\nTwo", "One\nTwo\n"),
        ("* a\n* b", "• a\n• b\n"),
        ("1. a\n2. b", "1. a\n2. b\n"),
        ("Above\n\n---\n\nBelow", "Above\n\n" + "=" * 65 + "\n\nBelow\n"),
        ("^ Inset", "Inset\n"),
        ("[Apply](https://x.gov.uk)", "Apply: https://x.gov.uk\n"),
        ('[Apply](https://x.gov.uk "Title")', "Apply (Title): https://x.gov.uk\n"),
        ("Fish & chips < 5", "Fish & chips < 5\n"),
    ],
)
def test_the_plain_text_part_renders_markdown_as_readable_text(content: str, plain: str) -> None:
    assert text(content) == plain


def test_the_plain_text_part_does_not_escape_personalisation() -> None:
    assert text("Dear ((name))", name="<Ann & Bob>") == "Dear <Ann & Bob>\n"


@pytest.mark.parametrize(
    ("subject", "values", "rendered"),
    [
        ("Your ((thing))", {"thing": "licence"}, "Your licence"),
        ("Line one\nline two", {}, "Line one line two"),
        ("  lots   of\t\tspace  ", {}, "lots of space"),
        ("About ((x))", {"x": ["a", "b", "c"]}, "About a, b and c"),
        ("Ref ((x))", {"x": "<b>"}, "Ref <b>"),
        ("Missing ((x))", {}, "Missing ((x))"),
    ],
)
def test_subject_lines_are_filled_in_and_kept_on_one_line(
    subject: str, values: dict[str, object], rendered: str
) -> None:
    assert render_subject(subject, Personalisation(values)) == rendered


def test_the_api_body_is_the_filled_in_markdown_source() -> None:
    email = render_email(
        "Hi ((name))", "  # Hello ((name))\n\n((items))  ", Personalisation({"name": "Ann", "items": ["a"]})
    )
    assert email.body == "# Hello Ann\n\n\n\n* a"
    assert email.subject == "Hi Ann"
    assert not email.is_too_long


def test_emails_over_two_million_bytes_are_too_long() -> None:
    content = "((x))"
    assert body_size_in_bytes(content, Personalisation({"x": "a" * MAX_EMAIL_BYTES})) == MAX_EMAIL_BYTES
    assert not render_email("s", content, Personalisation({"x": "a" * MAX_EMAIL_BYTES})).is_too_long
    assert render_email("s", content, Personalisation({"x": "é" * (MAX_EMAIL_BYTES // 2 + 1)})).is_too_long
    assert too_long_message(2000002) == (
        "Your message is too long. Emails cannot be longer than 2000000 bytes. Your message is 2000002 bytes."
    )


def test_the_parser_reads_a_document_into_blocks() -> None:
    blocks = markdown.parse("# Title\n\nPara\n\n* a\n\n^ inset\n\n---")
    assert [type(block).__name__ for block in blocks] == ["Heading", "Paragraph", "MarkdownList", "Inset", "Rule"]


markdownish = st.lists(
    st.sampled_from([*"ab #*-•^1.\n\\[]()<>&\"'", "https://x.y", "((v))", "](", "javascript:"]), max_size=60
).map("".join)


@given(markdownish, st.text(max_size=30))
def test_no_template_or_value_can_produce_a_tag_the_renderer_did_not_write(content: str, value: str) -> None:
    rendered = html(content, v=value)
    allowed = {"p", "br", "h2", "hr", "a", "ul", "ol", "li", "table", "tr", "td", "blockquote"}
    assert {tag.lower() for tag in re.findall(r"</?([a-zA-Z][\w-]*)", rendered)} <= allowed
    assert not re.search(r'href="\s*javascript:', rendered, re.IGNORECASE)
    assert text(content, v=value).endswith("\n")
