"""A template as the admin pages show it: filled in where values are given, ((placeholders)) highlighted.

The email body is the HTML that recipients get, from notify's own renderer
(`templates.email.render_html_body`), which escapes the template text and
every value before Markdown runs, so it is safe to put into the page. Two
things change on the way in: the inline styles, which mail clients need but
the pages' Content-Security-Policy (style-src 'self') blocks, give way to
GOV.UK Frontend classes; and each placeholder still unfilled is wrapped in
<mark>, as Notify's admin marks them. Text messages and letters are escaped
here, then marked the same way.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from markupsafe import Markup, escape

from govplatform.notify.services.templates import TemplateSnapshot
from govplatform.notify.templates import email as email_rules
from govplatform.notify.templates import sms as sms_rules
from govplatform.notify.templates.placeholders import PLACEHOLDER_PATTERN, ListStyle, Personalisation
from govplatform.notify.templates.placeholders import replace_placeholders as fill

_TAG = re.compile(r"(<[^>]*>)")
_OPENING_TAG = re.compile(r'<([a-z0-9]+)((?:\s+[a-z-]+="[^"]*")*)\s*>')
_ATTRIBUTE = re.compile(r'\s+([a-z-]+)="([^"]*)"')
_CLASSES = {
    "p": "govuk-body",
    "h2": "govuk-heading-m",
    "a": "govuk-link",
    "hr": "govuk-section-break govuk-section-break--m govuk-section-break--visible",
    "blockquote": "govuk-inset-text",
    "ul": "govuk-list govuk-list--bullet",
    "ol": "govuk-list govuk-list--number",
}


@dataclasses.dataclass(frozen=True)
class Preview:
    type: str
    subject: Markup | None
    body: Markup
    characters: int | None = None  # text messages: as Notify counts them, the service name included
    fragments: int | None = None  # text messages: how many are charged


def highlighted(escaped_html: str) -> Markup:
    """Wrap each ((placeholder)) outside the tags of already-escaped HTML in <mark>."""
    parts = _TAG.split(escaped_html)
    for index in range(0, len(parts), 2):  # even parts are text between tags
        parts[index] = PLACEHOLDER_PATTERN.sub(r'<mark class="notify-placeholder">\g<0></mark>', parts[index])
    return Markup("".join(parts))  # noqa: S704 - every part was escaped before it got here


def _restyled_tag(match: re.Match[str]) -> str:
    name = match[1]
    attributes = [(key, value) for key, value in _ATTRIBUTE.findall(match[2]) if key != "style"]
    if name in _CLASSES:
        attributes.insert(0, ("class", _CLASSES[name]))
    return "<" + name + "".join(f' {key}="{value}"' for key, value in attributes) + ">"


def email_body_for_page(body_html: str) -> Markup:
    """The email's inner HTML with GOV.UK Frontend classes instead of inline styles, placeholders marked."""
    return highlighted(_OPENING_TAG.sub(_restyled_tag, body_html))


def _text_as_html(text: str) -> Markup:
    paragraphs = [part.strip("\n") for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]
    html = "".join(
        '<p class="govuk-body">' + str(highlighted(str(escape(part)))).replace("\n", "<br>") + "</p>"
        for part in paragraphs
    )
    return Markup(html)  # noqa: S704 - built from escaped text


def preview_of(template: TemplateSnapshot, values: Mapping[str, object], *, sms_prefix: str | None = None) -> Preview:
    """The template filled in with `values`; a placeholder with no value in them stays, marked."""
    personalisation = Personalisation(values)
    if template.type == "email":
        subject = email_rules.render_subject(template.subject or "", personalisation)
        body = email_rules.render_html_body(template.content, personalisation)
        return Preview("email", highlighted(str(escape(subject))), email_body_for_page(body))
    if template.type == "sms":
        message = sms_rules.render_sms(template.content, personalisation, prefix=sms_prefix)
        return Preview(
            "sms",
            None,
            _text_as_html(message.content),
            characters=message.character_count,
            fragments=message.fragment_count,
        )
    subject = fill(template.subject or "", personalisation, list_style=ListStyle.PROSE).strip()
    body = fill(template.content, personalisation, list_style=ListStyle.BULLETS)
    return Preview("letter", highlighted(str(escape(subject))), _text_as_html(body))
