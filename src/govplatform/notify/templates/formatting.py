"""Text clean-ups shared by the email, text message and letter renderers.

Notify runs every message through the same handful of small normalisations
(notifications-utils ``formatters.py``): whitespace that cannot be seen is
dropped, runs of spaces collapse, a space before a full stop or comma goes,
and HTML is escaped in a way that keeps the entities template authors type
on purpose (``&nbsp;``, ``&amp;``). They live here so that each renderer
applies exactly the same rule.
"""

from __future__ import annotations

import html
import re
import string

# Zero-width characters that people paste in by accident, or use to stop
# "GOV.UK" being autolinked; Notify removes them before counting or sending.
ZERO_WIDTH_WHITESPACE = "\u180e\u200b\u200c\u200d\u2060\ufeff"
NON_BREAKING_WHITESPACE = "\u00a0"

# Entities that survive escaping unchanged, as in Notify's escape_html.
_PRESERVED_ENTITIES = ("&nbsp;", "&amp;", "&lpar;", "&rpar;")
# A character reference needs its trailing semicolon (Notify's unescape_strict),
# so "&copy" without one is text, not an entity.
_STRICT_CHARREF = re.compile(r"&(#[0-9]+;|#[xX][0-9a-fA-F]+;|[^\t\n\f <&#;]{1,32};)")
_WHITESPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([,.])")
_MORE_THAN_TWO_NEWLINES = re.compile(r"\n{3,}")
_HYPHEN_SURROUNDED_BY_SPACES = re.compile(r"\s+[-–—]{1,3}\s+")
# "GOV.UK" on its own is not a link; a zero-width space after the dot stops
# mail clients from turning it into one (Notify's unlink_govuk_escaped).
_GOVUK_NOT_A_LINK = re.compile(r"(^|\s)(#|\*|\^)?(GOV)\.(UK)(?!/|\?|#)", re.IGNORECASE)


def escape_html(value: str) -> str:
    """Escape ``<``, ``>`` and ``&`` but keep deliberate entities, as Notify does.

    Existing character references are decoded first so that escaping is not
    applied twice; ``&nbsp;`` and friends are kept as typed. Quotes are left
    alone (text context); attribute values are escaped separately.
    """
    if not value:
        return value
    markers = [(entity, f"\x00{index}\x00") for index, entity in enumerate(_PRESERVED_ENTITIES)]
    value = value.replace("\x00", "")
    for entity, marker in markers:
        value = value.replace(entity, marker)
    value = _STRICT_CHARREF.sub(lambda match: html.unescape(match.group(0)), value)
    value = html.escape(value, quote=False)
    for entity, marker in markers:
        value = value.replace(marker, entity)
    return value


def strip_and_remove_obscure_whitespace(value: str) -> str:
    """Drop zero-width and non-breaking spaces, then trim ordinary whitespace."""
    for character in ZERO_WIDTH_WHITESPACE + NON_BREAKING_WHITESPACE:
        value = value.replace(character, "")
    return value.strip(string.whitespace)


def normalise_whitespace(value: str) -> str:
    """Collapse every run of whitespace to one space and trim the ends."""
    for character in NON_BREAKING_WHITESPACE:
        value = value.replace(character, " ")
    for character in ZERO_WIDTH_WHITESPACE:
        value = value.replace(character, "")
    return " ".join(value.split())


def normalised_lines(value: str) -> list[str]:
    """Split into lines (any Unicode line break) with whitespace normalised in each."""
    return [normalise_whitespace(line) for line in value.splitlines()]


def normalise_whitespace_and_newlines(value: str) -> str:
    return "\n".join(normalised_lines(value))


def normalise_multiple_newlines(value: str) -> str:
    """Allow at most one blank line between paragraphs."""
    return _MORE_THAN_TWO_NEWLINES.sub("\n\n", value)


def remove_whitespace_before_punctuation(value: str) -> str:
    return _WHITESPACE_BEFORE_PUNCTUATION.sub(r"\1", value)


def replace_hyphens_with_en_dashes(value: str) -> str:
    """A hyphen with spaces round it is a dash, so typeset it as an en dash."""
    return _HYPHEN_SURROUNDED_BY_SPACES.sub(" \u2013 ", value)


def unlink_govuk(value: str) -> str:
    return _GOVUK_NOT_A_LINK.sub(lambda m: f"{m[1]}{m[2] or ''}{m[3]}.\u200b{m[4]}", value)


def strip_unsupported_characters(value: str) -> str:
    """Remove the Unicode line separator, which mail clients render unpredictably."""
    return value.replace("\u2028", "")
