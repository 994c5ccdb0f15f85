"""Email content: the HTML and plain-text parts, the subject line, the size limit.

Follows notifications-utils ``template.py`` (``HTMLEmailTemplate``,
``PlainTextEmailTemplate``) and the renderers in ``markdown.py``:

- HTML part: the template text and personalisation are HTML-escaped, list
  values become bullets, "GOV.UK" is kept from being autolinked, then the
  Markdown dialect in :mod:`.markdown` is rendered with inline styles (mail
  clients ignore stylesheets), in GOV.UK colours and type sizes;
- plain-text part: the same Markdown rendered as text: headings underlined,
  rules of ``=``, bullets as ``•``, links as ``text: url``;
- both parts get Notify's typography: no space before a comma or full stop,
  and a spaced hyphen becomes an en dash;
- subject: placeholders filled in (lists as "a, b and c"), then every run of
  whitespace, newlines included, collapsed to one space;
- the API's ``body`` is the filled-in Markdown source, stripped;
- an email whose body is over 2,000,000 bytes is refused.

Notify also turns straight quotes into curly ones (smartypants); that needs
a library this slice does not add, so quotes are left as typed. Link targets
written in Markdown are attribute-escaped and ``javascript:``/``data:``/
``vbscript:`` links are not linked, where Notify passes the target through;
a personalisation value cannot break out of an ``href`` here.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from govplatform.notify.templates import markdown
from govplatform.notify.templates.formatting import (
    normalise_whitespace,
    remove_whitespace_before_punctuation,
    replace_hyphens_with_en_dashes,
    strip_unsupported_characters,
    unlink_govuk,
)
from govplatform.notify.templates.placeholders import ListStyle, Personalisation, replace_placeholders

MAX_EMAIL_BYTES = 2_000_000
PLAIN_TEXT_WIDTH = 65

_TEXT = "font-size: 19px; line-height: 25px; color: #0b0c0c;"
_LINK_STYLE = "word-wrap: break-word; color: #1d70b8;"
_UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")

_ESCAPED = r"\\([\\`*{}\[\]()#+\-.!_>~|])"
_IMAGE = r"!\[[^\]]*\]\([^)]*\)"
_LINK = r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*([^\s)]*?)(?:\s+[\"']([^\"']*)[\"'])?\s*\)"
_URL = r"https?://[^\s<]+[^<.,:\"')\]\s]"
_INLINE = re.compile(f"(?P<escaped>{_ESCAPED})|(?P<image>{_IMAGE})|(?P<link>{_LINK})|(?P<url>{_URL})|(?P<newline>\n)")


def unsubscribe_footer(content: str, unsubscribe_url: str | None) -> str:
    """Notify adds a rule and an unsubscribe link when the sender gives a one-click URL."""
    if not unsubscribe_url:
        return content
    return f"{content}\n\n---\n\n[Unsubscribe from these emails]({unsubscribe_url})"


def do_nice_typography(value: str) -> str:
    return replace_hyphens_with_en_dashes(remove_whitespace_before_punctuation(value))


def render_subject(subject: str, personalisation: Personalisation) -> str:
    filled = replace_placeholders(subject, personalisation, list_style=ListStyle.PROSE)
    return normalise_whitespace(do_nice_typography(filled))


def filled_body(content: str, personalisation: Personalisation) -> str:
    """The body as the API returns it: Markdown source with placeholders filled in."""
    return replace_placeholders(content, personalisation, list_style=ListStyle.BULLETS).strip()


def body_size_in_bytes(content: str, personalisation: Personalisation) -> int:
    return len(filled_body(content, personalisation).encode("utf-8"))


def too_long_message(size_in_bytes: int) -> str:
    """Notify's 400 BadRequestError message for an email over the size limit."""
    return (
        "Your message is too long. "
        f"Emails cannot be longer than {MAX_EMAIL_BYTES} bytes. Your message is {size_in_bytes} bytes."
    )


def _prepare(content: str, personalisation: Personalisation, *, html_escape: bool) -> str:
    filled = replace_placeholders(content, personalisation, list_style=ListStyle.BULLETS, html=html_escape)
    return strip_unsupported_characters(unlink_govuk(filled)) + "\n"


def render_html_body(content: str, personalisation: Personalisation, *, unsubscribe_url: str | None = None) -> str:
    """The inner HTML of the email, every value escaped before Markdown runs."""
    source = _prepare(unsubscribe_footer(content, unsubscribe_url), personalisation, html_escape=True)
    return do_nice_typography("".join(_html_block(block) for block in markdown.parse(source)))


def render_plain_text(content: str, personalisation: Personalisation, *, unsubscribe_url: str | None = None) -> str:
    """The text/plain part of the email."""
    source = _prepare(unsubscribe_footer(content, unsubscribe_url), personalisation, html_escape=False)
    text = do_nice_typography("".join(_text_block(block) for block in markdown.parse(source)))
    return html.unescape(text).lstrip() + "\n"


@dataclass(frozen=True, slots=True)
class Email:
    subject: str
    html_body: str
    plain_text: str
    body: str  # the filled-in Markdown, as the API's "body"

    @property
    def is_too_long(self) -> bool:
        return len(self.body.encode("utf-8")) > MAX_EMAIL_BYTES


def render_email(
    subject: str, content: str, personalisation: Personalisation, *, unsubscribe_url: str | None = None
) -> Email:
    return Email(
        subject=render_subject(subject, personalisation),
        html_body=render_html_body(content, personalisation, unsubscribe_url=unsubscribe_url),
        plain_text=render_plain_text(content, personalisation, unsubscribe_url=unsubscribe_url),
        body=filled_body(content, personalisation),
    )


# HTML rendering -------------------------------------------------------------


def _html_inline(text: str, *, in_link: bool = False) -> str:
    def link(url: str, label: str, title: str | None) -> str:
        if url.strip().lower().startswith(_UNSAFE_SCHEMES):
            return label
        title_attribute = f' title="{_attribute(title)}"' if title else ""
        return f'<a style="{_LINK_STYLE}" href="{_attribute(url)}"{title_attribute}>{label}</a>'

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return match["escaped"][1]
        if match["image"]:
            return ""
        if match["link"]:
            label = _html_inline(match[_group("link", 1)], in_link=True)
            return link(match[_group("link", 2)], label, match[_group("link", 3)])
        if match["url"]:
            url = match["url"]
            return url if in_link else link(_sanitised_url(url), url, None)
        return "<br>"

    return _INLINE.sub(replace, text)


def _group(name: str, offset: int) -> int:
    return _INLINE.groupindex[name] + offset


def _attribute(value: str) -> str:
    """Escape a value for an attribute; it is already escaped for text, so only quotes remain."""
    return value.replace('"', "&quot;").replace("'", "&#x27;")


def _sanitised_url(url: str) -> str:
    """Percent-encode a bare URL so quotes and spaces cannot leave the href (as Notify does)."""
    return urllib.parse.quote(urllib.parse.unquote(url), safe=":/?#=&;%")


def _html_block(block: markdown.Block) -> str:
    match block:
        case markdown.Heading(level=1, text=text):
            return f'<h2 style="margin: 0 0 20px 0; padding: 0; font-size: 27px; line-height: 35px; font-weight: bold; color: #0b0c0c;">{_html_inline(text)}</h2>'  # noqa: E501
        case markdown.Heading(text=text) | markdown.Paragraph(text=text):
            return _html_paragraph(text)
        case markdown.Text(text=text):
            return _html_inline(text)
        case markdown.Rule():
            return '<hr style="border: 0; height: 1px; background: #b1b4b6; margin: 30px 0 30px 0;">'
        case markdown.Code(text=text):
            return text
        case markdown.Inset(children=children):
            inner = "".join(_html_block(child) for child in children)
            return f'<blockquote style="margin: 0 0 20px 0; border-left: 10px solid #b1b4b6; padding: 15px 0 0.1px 15px; {_TEXT}">{inner}</blockquote>'  # noqa: E501
        case markdown.MarkdownList(ordered=ordered, items=items):
            tag, marker = ("ol", "decimal") if ordered else ("ul", "disc")
            inner = "".join(
                f'<li style="margin: 5px 0 5px; padding: 0 0 0 5px; {_TEXT}">'
                + "".join(_html_block(child) for child in item.children).strip()
                + "</li>"
                for item in items
            )
            return (
                '<table role="presentation" style="padding: 0 0 20px 0;"><tr>'
                '<td style="font-family: Helvetica, Arial, sans-serif;">'
                f'<{tag} style="margin: 0 0 0 20px; padding: 0; list-style-type: {marker};">{inner}</{tag}>'
                "</td></tr></table>"
            )
    raise AssertionError(block)  # pragma: no cover - every block type is handled above


def _html_paragraph(text: str) -> str:
    inline = _html_inline(text)
    if not inline.strip():
        return ""
    return f'<p style="margin: 0 0 20px 0; {_TEXT}">{inline}</p>'


# Plain-text rendering -------------------------------------------------------


def _text_inline(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return match["escaped"][1]
        if match["image"]:
            return ""
        if match["link"]:
            title = match[_group("link", 3)]
            label = _text_inline(match[_group("link", 1)])
            return f"{label}{f' ({title})' if title else ''}: {match[_group('link', 2)]}"
        return match[0]

    return _INLINE.sub(replace, text)


def _text_paragraph(text: str) -> str:
    inline = _text_inline(text)
    return f"\n\n{inline}" if inline.strip() else ""


def _text_block(block: markdown.Block) -> str:
    render: Callable[[markdown.Block], str] = _text_block
    match block:
        case markdown.Heading(level=1, text=text):
            return f"\n\n\n{_text_inline(text)}\n{'-' * PLAIN_TEXT_WIDTH}"
        case markdown.Heading(text=text) | markdown.Paragraph(text=text):
            return _text_paragraph(text)
        case markdown.Text(text=text):
            return _text_inline(text)
        case markdown.Rule():
            return _text_paragraph("=" * PLAIN_TEXT_WIDTH)
        case markdown.Code(text=text):
            return text
        case markdown.Inset(children=children):
            return "".join(render(child) for child in children)
        case markdown.MarkdownList(ordered=ordered, items=items):
            lines = [
                f"\n{f'{number}.' if ordered else '•'} " + "".join(render(child) for child in item.children).strip()
                for number, item in enumerate(items, start=1)
            ]
            return "\n" + "".join(lines)
    raise AssertionError(block)  # pragma: no cover - every block type is handled above
