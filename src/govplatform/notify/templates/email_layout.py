"""The HTML document an email body is sent in: banner, column, hidden preheader.

Mail clients are not browsers. Gmail and others strip or ignore ``<style>``
and linked stylesheets, so every style here is inline; desktop Outlook lays
out HTML with Word's engine, which ignores ``max-width`` and most CSS
positioning, so the layout is built from tables (``role="presentation"`` so
screen readers do not announce them as data), with fixed-width tables inside
``<!--[if mso]>`` comments that only Outlook reads.

The structure follows Notify's ``email_template.jinja2`` in
notifications-utils: a full-width black banner, a centred column at most
580px wide with 10px gutters, the body in 19px Helvetica or Arial, and the
preheader (the line inboxes show after the subject) hidden at the top. The
markup is our own, and the banner carries the platform's or organisation's
name as text: the GOV.UK crown and logotype belong to GOV.UK and are not used.

Everything interpolated is HTML-escaped. The body is inserted as it is,
because it is the output of :func:`.email.render_html_body`, which escapes
every template and personalisation value before it builds its markup.
"""

from __future__ import annotations

import re
from html import escape

MAX_WIDTH = 580
BANNER_COLOUR = "#0b0c0c"
TEXT_COLOUR = "#0b0c0c"
_FONT = "Helvetica, Arial, sans-serif"
# A language tag in the shape BCP 47 gives it ("en", "cy", "en-GB").
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_TABLE = 'role="presentation" cellpadding="0" cellspacing="0" border="0"'


def email_document(
    *,
    body_html: str,
    subject: str,
    brand_name: str | None = None,
    preheader: str | None = None,
    language: str = "en",
) -> str:
    """A complete HTML email around ``body_html`` (from ``render_html_body``)."""
    if not _LANGUAGE_TAG.fullmatch(language):
        raise ValueError(f"not a language tag: {language!r}")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(language)}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # Stops Apple Mail shrinking and reflowing the text to fit its own idea of the page.
        '<meta name="x-apple-disable-message-reformatting">\n'
        # Notify's template does the same: numbers in messages are references, not phone numbers.
        '<meta name="format-detection" content="telephone=no">\n'
        f"<title>{escape(subject)}</title>\n"
        "</head>\n"
        f'<body style="margin: 0; padding: 0; background-color: #ffffff; color: {TEXT_COLOUR}; '
        f'font-family: {_FONT}; font-size: 16px;">\n'
        f"{_preheader(preheader)}"
        f"{_banner(brand_name)}"
        f"{_content(body_html)}"
        "</body>\n"
        "</html>\n"
    )


def _preheader(preheader: str | None) -> str:
    if not preheader:
        return ""
    # Hidden from the reader in every client (mso-hide for Outlook); inboxes still show it as the preview line.
    return (
        '<div style="display: none; max-height: 0; max-width: 0; overflow: hidden; opacity: 0; '
        f'mso-hide: all; font-size: 1px; line-height: 1px; color: #ffffff;">{escape(preheader)}</div>\n'
    )


def _banner(brand_name: str | None) -> str:
    if not brand_name:
        return ""
    return (
        f'<table {_TABLE} width="100%" style="border-collapse: collapse; min-width: 100%; width: 100%;">\n'
        f'<tr><td width="100%" bgcolor="{BANNER_COLOUR}" style="background-color: {BANNER_COLOUR};">\n'
        f"{_outlook_open(MAX_WIDTH)}"
        f'<table {_TABLE} width="100%" align="center" style="border-collapse: collapse; max-width: {MAX_WIDTH}px;">\n'
        f'<tr><td style="padding: 14px 10px; font-family: {_FONT}; font-size: 19px; line-height: 25px; '
        f'font-weight: bold; color: #ffffff;">{escape(brand_name)}</td></tr>\n'
        "</table>\n"
        f"{_outlook_close()}"
        "</td></tr>\n"
        "</table>\n"
    )


def _content(body_html: str) -> str:
    inner = MAX_WIDTH - 20
    text = f"font-family: {_FONT}; font-size: 19px; line-height: 25px; color: {TEXT_COLOUR};"
    return (
        f'<table {_TABLE} width="100%" align="center" '
        f'style="border-collapse: collapse; max-width: {MAX_WIDTH}px; width: 100%;">\n'
        '<tr><td colspan="3" height="30" style="font-size: 0; line-height: 0;">&nbsp;</td></tr>\n'
        "<tr>\n"
        '<td width="10" style="font-size: 0; line-height: 0;">&nbsp;</td>\n'
        f'<td style="{text} max-width: {inner}px;">\n'
        f"{_outlook_open(inner, style=text)}"
        f"{body_html}\n"
        f"{_outlook_close()}"
        "</td>\n"
        '<td width="10" style="font-size: 0; line-height: 0;">&nbsp;</td>\n'
        "</tr>\n"
        '<tr><td colspan="3" height="30" style="font-size: 0; line-height: 0;">&nbsp;</td></tr>\n'
        "</table>\n"
    )


def _outlook_open(width: int, *, style: str = "") -> str:
    """A fixed-width table that only Outlook sees, since it ignores max-width."""
    cell_style = f' style="{style}"' if style else ""
    return (
        f'<!--[if mso]><table {_TABLE} width="{width}" align="center" '
        f'style="border-collapse: collapse; width: {width}px;"><tr><td{cell_style}><![endif]-->\n'
    )


def _outlook_close() -> str:
    return "<!--[if mso]></td></tr></table><![endif]-->\n"
