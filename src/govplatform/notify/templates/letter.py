"""Postal addresses for letters: lines, UK postcodes, BFPO and other countries.

A letter is printed with its address showing through an envelope window and
sorted by Royal Mail's machines, so Notify refuses an address it cannot post
(notifications-utils ``recipient_validation/postal_address.py``, checked in
notifications-api ``validate_address``). This module follows both:

- the address comes from ``address_line_1`` … ``address_line_7``, or
  ``address_line_1`` … ``address_line_6`` plus the legacy ``postcode`` when
  there is no ``address_line_7``; keys match placeholders (case, spaces,
  ``_`` and ``-`` ignored);
- each line has its whitespace normalised and trailing spaces and commas
  removed; empty lines are dropped;
- a line ``BFPO 1234`` (British Forces Post Office) is taken out and put back
  last; a BFPO address needs no postcode but must not name a country;
- a last line naming the UK (``England``, ``UK``…) is dropped; a last line
  naming another country makes the letter international, which the service
  needs permission for;
- otherwise the last line must be a real UK postcode, which is rewritten in
  capitals with one space before the inward code (``sw1a1aa`` → ``SW1A 1AA``);
- 3 to 7 lines after all that; no line may start with ``@ ( ) = [ ] " \\ / , < > ~``;
  "NFA", "no fixed abode" and "no fixed address" are not addresses.

The error messages, and the order they are checked in, are notifications-api's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from govplatform.notify.templates.countries import UNITED_KINGDOM, Postage, find_country
from govplatform.notify.templates.formatting import normalised_lines, remove_whitespace_before_punctuation
from govplatform.notify.templates.placeholders import Personalisation

MIN_LINES = 3
MAX_LINES = 7
ADDRESS_LINE_KEYS = tuple(f"address_line_{n}" for n in range(1, 8))
INVALID_FIRST_CHARACTERS = '@()=[]"\\/,<>~'

# Postcode areas in use (and GIR for Girobank, BF for BFPO), from Notify's
# uk-postcode-zones list. A real postcode is area + district + sector + unit.
UK_POSTCODE_AREAS = (
    "AB", "AL", "B", "BA", "BB", "BD", "BF", "BH", "BL", "BN", "BR", "BS", "BT", "BX", "CA", "CB", "CF", "CH",
    "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT", "DY", "E", "EC", "EH",
    "EN", "EX", "FK", "FY", "G", "GL", "GU", "GY", "HA", "HD", "HG", "HP", "HR", "HS", "HU", "HX", "IG", "IM",
    "IP", "IV", "JE", "KA", "KT", "KW", "KY", "L", "GIR", "LA", "LD", "LE", "LL", "LN", "LS", "LU", "M", "ME",
    "MK", "ML", "N", "NE", "NG", "NN", "NP", "NR", "NW", "OL", "OX", "PA", "PE", "PH", "PL", "PO", "PR", "RG",
    "RH", "RM", "S", "SA", "SE", "SG", "SK", "SL", "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA",
    "TD", "TF", "TN", "TQ", "TR", "TS", "TW", "UB", "W", "WA", "WC", "WD", "WF", "WN", "WR", "WS", "WV", "YO",
    "ZE",
)  # fmt: skip
_UK_POSTCODE = re.compile(rf"(?:{'|'.join(UK_POSTCODE_AREAS)})[0-9][0-9A-Z]?[0-9][ABD-HJLNP-UW-Z]{{2}}")
_BFPO = re.compile(r"^\s*bfpo\s*(?:c/o)?(?:\s*(\d+))?\s*$")
_NO_FIXED_ABODE = re.compile(r"no fixed (abode|address)", re.IGNORECASE)

NOT_ENOUGH_LINES = f"Address must be at least {MIN_LINES} lines"
TOO_MANY_LINES = f"Address must be no more than {MAX_LINES} lines"
BFPO_WITH_COUNTRY = "The last line of a BFPO address must not be a country."
NOT_A_UK_POSTCODE = "Must be a real UK postcode"
NOT_A_POSTCODE_OR_COUNTRY = "Last line of address must be a real UK postcode or another country"
# Notify's message shows a curly quote and omits "~", although the check
# refuses a straight quote and "~"; kept word for word for compatibility.
INVALID_CHARACTERS = "Address lines must not start with any of the following characters: @ ( ) = [ ] ” \\ / , < >"
NOT_A_REAL_ADDRESS = "Must be a real address"


def normalise_postcode(postcode: str) -> str:
    return "".join(postcode.split()).upper()


def is_a_real_uk_postcode(postcode: str) -> bool:
    return _UK_POSTCODE.fullmatch(normalise_postcode(postcode)) is not None


def format_postcode(postcode: str) -> str | None:
    """The postcode as Royal Mail's sorting machines want it, or None if it is not real."""
    if not is_a_real_uk_postcode(postcode):
        return None
    normalised = normalise_postcode(postcode)
    return f"{normalised[:-3]} {normalised[-3:]}"


@dataclass(frozen=True)
class PostalAddress:
    """An address as typed, with Notify's reading of it."""

    raw: str
    allow_international: bool = False

    @classmethod
    def from_personalisation(cls, values: Mapping[str, object], *, allow_international: bool = False) -> PostalAddress:
        lookup = Personalisation(values)
        keys = ADDRESS_LINE_KEYS if "address_line_7" in lookup else (*ADDRESS_LINE_KEYS[:6], "postcode")
        raw = "\n".join(str(lookup.get(key) or "") for key in keys)
        return cls(raw, allow_international=allow_international)

    @cached_property
    def _lines(self) -> list[str]:
        lines = [line.rstrip(" ,") for line in normalised_lines(self.raw)]
        return [remove_whitespace_before_punctuation(line) for line in lines if line] or [""]

    @cached_property
    def bfpo_number(self) -> int | None:
        for line in self._lines:
            match = _BFPO.match(line.lower())
            if match and match[1]:
                return int(match[1])
        return None

    @cached_property
    def _lines_without_bfpo(self) -> list[str]:
        if self.bfpo_number is None:
            return self._lines
        return [line for line in self._lines if not _BFPO.match(line.lower())] or [""]

    @cached_property
    def _country(self) -> tuple[str, Postage] | None:
        return find_country(self._lines_without_bfpo[-1])

    @property
    def country(self) -> str:
        return self._country[0] if self._country else UNITED_KINGDOM

    @property
    def postage(self) -> Postage:
        return self._country[1] if self._country else Postage.UK

    @property
    def international(self) -> bool:
        return self.postage is not Postage.UK

    @property
    def _lines_without_country_or_bfpo(self) -> list[str]:
        return self._lines_without_bfpo[:-1] if self._country else self._lines_without_bfpo

    @property
    def postcode(self) -> str | None:
        remaining = self._lines_without_country_or_bfpo
        if self.international or not remaining:
            return None
        return format_postcode(remaining[-1])

    @property
    def lines(self) -> list[str]:
        """The address as it will be printed."""
        body = self._lines_without_country_or_bfpo
        if self.postcode:
            body = [*body[:-1], self.postcode]
        if self.bfpo_number is not None:
            body = [*body, f"BFPO {self.bfpo_number}"]
        if self.international:
            body = [*body, self.country]
        return [line for line in body if line]

    @property
    def has_enough_lines(self) -> bool:
        return len(self.lines) >= MIN_LINES

    @property
    def has_too_many_lines(self) -> bool:
        return len(self.lines) > MAX_LINES

    @property
    def has_invalid_country_for_bfpo(self) -> bool:
        return self.international and self.bfpo_number is not None

    @property
    def has_valid_last_line(self) -> bool:
        if self.bfpo_number is not None:
            return not self.international
        return (self.allow_international and self.international) or self.postcode is not None

    @property
    def has_invalid_characters(self) -> bool:
        return any(line.startswith(tuple(INVALID_FIRST_CHARACTERS)) for line in self.lines)

    @property
    def has_no_fixed_abode(self) -> bool:
        return any(line.lower() == "nfa" for line in self.lines) or bool(_NO_FIXED_ABODE.search("\n".join(self.lines)))

    def error(self) -> str | None:
        """The first reason Notify would refuse this address, or None if it can be posted."""
        if not self.has_enough_lines:
            return NOT_ENOUGH_LINES
        if self.has_too_many_lines:
            return TOO_MANY_LINES
        if self.has_invalid_country_for_bfpo:
            return BFPO_WITH_COUNTRY
        if not self.has_valid_last_line:
            return NOT_A_POSTCODE_OR_COUNTRY if self.allow_international else NOT_A_UK_POSTCODE
        if self.has_invalid_characters:
            return INVALID_CHARACTERS
        if self.has_no_fixed_abode:
            return NOT_A_REAL_ADDRESS
        return None
