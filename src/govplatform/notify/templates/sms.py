"""Text message content: the GSM-7 alphabet, downgrading, and fragment counts.

A text message travels as GSM-7 (160 characters, or 153 per part when split)
unless it holds a character outside that alphabet, when the whole message
goes as UCS-2 (70, or 67 per part). Notify keeps messages cheap and
predictable by downgrading what it can to GSM-7 before sending
(notifications-utils ``sanitise_text.SanitiseSMS``): accents are stripped by
Unicode decomposition, smart quotes, dashes and the ellipsis become ASCII,
invisible spaces go, and anything else becomes ``?``. Welsh letters with
diacritics are the one exception; they are kept and force UCS-2.

The counts follow notifications-utils ``template.py`` exactly, including
where Notify's arithmetic is generous to the sender, because callers and
billing reconcile against Notify's own numbers:

- the length is taken *before* downgrading, so ``…`` counts as 1 although
  ``...`` is sent;
- each of the extension characters ``^{}\\[~]|€`` adds one more, even in a
  UCS-2 message;
- the 918-character limit applies to the length without the service-name
  prefix, and counts extension characters once.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from govplatform.notify.templates.formatting import (
    normalise_multiple_newlines,
    normalise_whitespace_and_newlines,
    remove_whitespace_before_punctuation,
)
from govplatform.notify.templates.placeholders import ListStyle, Personalisation, replace_placeholders

SMS_CHARACTER_LIMIT = 918

# GSM 03.38 basic character set (as Notify lists it: with ESC, without form feed).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the extension table: each is sent as ESC + code, so costs 2.
GSM7_EXTENSION = frozenset("^{}\\[~]|€")
GSM7 = GSM7_BASIC | GSM7_EXTENSION

WELSH_DIACRITICS = frozenset(
    "àèìòùẁỳÀÈÌÒÙẀỲ"  # grave
    "áéíóúẃýÁÉÍÓÚẂÝ"  # acute
    "äëïöüẅÿÄËÏÖÜẄŸ"  # diaeresis
    "âêîôûŵŷÂÊÎÔÛŴŶ"  # circumflex
)
# Welsh letters outside GSM-7: keeping them makes the message UCS-2.
WELSH_NON_GSM = WELSH_DIACRITICS - GSM7
SMS_ALLOWED = GSM7 | WELSH_DIACRITICS

# Downgrades for characters that have no Unicode decomposition to use.
REPLACEMENTS: dict[str, str] = {
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2026": "...",  # horizontal ellipsis
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u180e": "",  # Mongolian vowel separator
    "\u200b": "",  # zero width space
    "\u200c": "",  # zero width non-joiner
    "\u200d": "",  # zero width joiner
    "\u2060": "",  # word joiner
    "\ufeff": "",  # zero width no-break space
    "\u2028": "",  # line separator
    "\u2029": "",  # paragraph separator
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space
    "\t": " ",
    "Ł": "L",
    "ł": "l",
}


def downgrade_character(character: str) -> str | None:
    """A replacement for a character outside the SMS alphabet, or None if there is none.

    A canonical decomposition (``é`` is ``e`` + combining acute) gives its
    first character, as Notify does. Compatibility decompositions (those
    tagged ``<...>``, such as ligatures and full-width forms) are not used.
    """
    decomposition = unicodedata.decomposition(character)
    if decomposition and "<" not in decomposition:
        return chr(int(decomposition.split()[0], 16))
    return REPLACEMENTS.get(character)


def sanitise_sms(content: str) -> str:
    """The content as it will be sent: downgraded, with ``?`` for the rest."""
    return "".join(_encode_character(character) for character in content)


def _encode_character(character: str) -> str:
    # Notify downgrades once, so a letter with two accents (ḗ) comes out with
    # one (ē), which GSM-7 cannot carry; downgrading until the result fits
    # keeps every sent character inside the alphabet (ḗ -> e).
    while character not in SMS_ALLOWED:
        downgraded = downgrade_character(character) if len(character) == 1 else None
        if downgraded is None:
            return "?"
        if all(c in SMS_ALLOWED for c in downgraded):
            return downgraded
        character = downgraded
    return character


def incompatible_characters(content: str) -> set[str]:
    """Characters that will be sent as ``?`` (for warning template authors)."""
    return {c for c in content if c != "?" and _encode_character(c) == "?"}


def is_unicode(sanitised_content: str) -> bool:
    """Whether the sanitised message must travel as UCS-2."""
    return not WELSH_NON_GSM.isdisjoint(sanitised_content)


def count_extension_characters(content: str) -> int:
    return sum(1 for character in content if character in GSM7_EXTENSION)


def fragment_count(character_count: int, *, unicode: bool) -> int:
    """How many parts a message of this many characters is sent (and billed) as."""
    single, per_part = (70, 67) if unicode else (160, 153)
    if character_count <= single:
        return 1
    return math.ceil(character_count / per_part)


def add_prefix(body: str, prefix: str | None) -> str:
    """Put the service name in front, as Notify does when the service asks for it."""
    return f"{prefix.strip()}: {body}" if prefix else body


def too_long_message(character_count_without_prefix: int) -> str:
    """Notify's 400 BadRequestError message for an over-long text message."""
    return (
        "Your message is too long. "
        f"Text messages cannot be longer than {SMS_CHARACTER_LIMIT} characters. "
        f"Your message is {character_count_without_prefix} characters long."
    )


EMPTY_MESSAGE = "Your message is empty."


@dataclass(frozen=True, slots=True)
class SmsMessage:
    """A text message with its placeholders filled in, ready to send and bill."""

    content: str  # as sent: prefixed and downgraded to the SMS alphabet
    character_count: int  # Notify's count: prefix included, before downgrading
    prefix: str | None

    @property
    def character_count_without_prefix(self) -> int:
        if not self.prefix:
            return self.character_count
        # The prefix adds its own length plus ": " (Notify subtracts the
        # unstripped prefix, so a prefix with stray spaces is over-subtracted).
        return max(self.character_count - len(self.prefix) - 2, 0)

    @property
    def is_unicode(self) -> bool:
        return is_unicode(self.content)

    @property
    def fragment_count(self) -> int:
        count = self.character_count + count_extension_characters(self.content)
        return fragment_count(count, unicode=self.is_unicode)

    @property
    def is_too_long(self) -> bool:
        return self.character_count_without_prefix > SMS_CHARACTER_LIMIT

    @property
    def is_empty(self) -> bool:
        return self.character_count_without_prefix == 0


def render_sms(template: str, personalisation: Personalisation, *, prefix: str | None = None) -> SmsMessage:
    """Fill in a text message template and tidy it the way Notify does before sending."""
    filled = replace_placeholders(template, personalisation, list_style=ListStyle.PROSE)
    unsanitised = normalise_multiple_newlines(
        normalise_whitespace_and_newlines(remove_whitespace_before_punctuation(add_prefix(filled, prefix)))
    ).strip()
    return SmsMessage(content=sanitise_sms(unsanitised), character_count=len(unsanitised), prefix=prefix)
