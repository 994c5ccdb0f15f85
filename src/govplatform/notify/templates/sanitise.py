"""``sanitise_content_for``: defusing Markdown and links in chosen personalisation.

Personalisation is HTML-escaped before Markdown runs, but Markdown inside a
value still renders, so a value typed into a public form can turn a
trusted email into a phishing link (notifications-api#4080).
Notify's answer (notifications-utils#1220 and #1223, notifications-api#4838
and #4841, python client 12.1.0) is a request field, ``sanitise_content_for``,
listing the personalisation keys the caller does not trust. For each of them:

- a URL with a scheme (``https://evil.link/...``) is removed, so
  ``[text](https://evil.link)`` becomes ``[text]()``; here anything with
  ``://`` counts, whatever the scheme;
- a bare host name is split after each dot (``gov.uk`` becomes ``gov. uk``),
  so mail clients, which link anything that looks like a domain, do not;
- then every Markdown character ``\\ ` * _ { } [ ] ( ) < > # + - . ! |`` is
  backslash-escaped, so the value renders as the text that was typed.

The POST /v2/notifications/email response always carries
``sanitised_content``: ``{}``, or ``{key: {"unsanitised", "sanitised"}}`` for
each value the sanitising changed (Notify's published example shows only the
changed key). Notify's request schema is
``{"type": "array", "items": {"type": "string"}}``, so any list of strings is
accepted and keys that are not in the personalisation are ignored.

Where this differs from Notify, on purpose:

- keys are matched the way placeholders are, ignoring case, spaces, ``_`` and
  ``-``: a caller who lists ``"first name"`` for a ``first_name`` value would
  otherwise be silently left unprotected;
- the items of a list value are sanitised one by one (Notify's sanitiser
  expects a string); numbers, booleans and file uploads pass through, as
  notifications-api#4972 makes them do;
- a value spelt with character references (``&lsqb;``, ``&colon;``) is decoded
  first, because the renderer decodes them before Markdown runs and would
  otherwise rebuild the link; any ``&`` left is then written ``&amp;`` so it
  is not decoded a second time. Values without references are untouched.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

import jsonschema

from govplatform.notify.templates.placeholders import normalise_key

FIELD = "sanitise_content_for"
# As in Notify's post_email_request schema (and the published OpenAPI spec).
SANITISE_CONTENT_FOR_SCHEMA: dict[str, object] = {"type": "array", "items": {"type": "string"}}
MARKDOWN_CHARACTERS = "\\`*_{}[]()<>#+-.!|"

SanitisedContent = dict[str, dict[str, object]]

_MARKDOWN_CHARACTER = re.compile(f"([{re.escape(MARKDOWN_CHARACTERS)}])")
# Anything with "://" goes, whatever its scheme, so a link cannot survive by
# changing the scheme or by gluing characters in front of "https". The URL
# ends at whitespace or at a bracket or quote, which leaves
# "[text](https://evil.link)" as "[text]()" exactly as Notify's documented
# example shows. Starting only where a run of scheme characters starts keeps
# the cost linear on long values.
_URL_WITH_SCHEME = re.compile(r"(?<![a-z0-9+.\-])[a-z0-9+.\-]*://[^\s<>()\[\]{}\"'`]*", re.IGNORECASE)
# A host name without a scheme, shaped like notifications-utils' formatters.url:
# labels and a 2-63 letter top-level domain, not part of an email address.
_BARE_HOST_NAME = re.compile(r"(?<![\w@.\-])(?:[\w\-]+\.)+[a-z]{2,63}(?![\w@])", re.IGNORECASE)
# The character references the renderer decodes (formatting.escape_html):
# the trailing semicolon is required.
_CHARACTER_REFERENCE = re.compile(r"&(#[0-9]+;|#[xX][0-9a-fA-F]+;|[^\t\n\f <&#;]{1,32};)")


def sanitise_value(value: str) -> str:
    """One personalisation value with links removed and Markdown escaped."""
    has_references = bool(_CHARACTER_REFERENCE.search(value))
    if has_references:
        value = _CHARACTER_REFERENCE.sub(lambda match: html.unescape(match[0]), value)
    value = _URL_WITH_SCHEME.sub("", value)
    value = _BARE_HOST_NAME.sub(lambda match: match[0].replace(".", ". "), value)
    value = _MARKDOWN_CHARACTER.sub(r"\\\1", value)
    return value.replace("&", "&amp;") if has_references else value


def sanitise_personalisation(
    personalisation: Mapping[str, object], keys: Sequence[str]
) -> tuple[dict[str, object], SanitisedContent]:
    """The personalisation with the listed keys sanitised, and what changed.

    The second value is the response's ``sanitised_content``, keyed by the
    personalisation key as the caller sent it, holding only values that changed.
    """
    wanted = {normalise_key(key) for key in keys}
    sanitised_personalisation = dict(personalisation)
    sanitised_content: SanitisedContent = {}
    for key, value in personalisation.items():
        if normalise_key(key) not in wanted:
            continue
        sanitised = _sanitise_object(value)
        if sanitised != value:
            sanitised_personalisation[key] = sanitised
            sanitised_content[key] = {"unsanitised": value, "sanitised": sanitised}
    return sanitised_personalisation, sanitised_content


def sanitise_content_for_errors(value: object) -> list[str]:
    """Notify's ValidationError messages for a bad ``sanitise_content_for``, or ``[]``.

    Worded as Notify's schema validation words them: the field name, then
    jsonschema's message with the quotes taken out, each message once, e.g.
    "sanitise_content_for first_name is not of type array" or
    "sanitise_content_for 1 is not of type string".
    """
    validator = jsonschema.Draft7Validator({"type": "object", "properties": {FIELD: SANITISE_CONTENT_FOR_SCHEMA}})
    messages: list[str] = []
    for error in validator.iter_errors({FIELD: value}):
        unquoted = error.message.replace("'", "")
        message = f"{FIELD} {unquoted}"
        if message not in messages:
            messages.append(message)
    return messages


def _sanitise_object(value: object) -> object:
    if isinstance(value, str):
        return sanitise_value(value)
    if isinstance(value, list | tuple):
        items = [sanitise_value(item) if isinstance(item, str) else item for item in value]
        return items if items != list(value) else value
    return value
