"""A mobile phone number a citizen types for their security codes: checked with `phonenumbers` (Google's
libphonenumber), kept in E.164 for sending and as typed for showing back.

Why both forms: the E.164 form ("+447700900123") is what a text is sent to and what a relying party is told
(One Login's `phone_number` claim), but a person recognises the number they typed ("07700 900123"), so every
page that says where a code went shows that, or only its last digits, as One Login does.

The rules, in order: a number without a country code is read as a UK one (as GOV.UK services read it); "00"
then a country code is an international number, as is "+". It must be a valid number for its country and one
that can get a text: a mobile, or a number its country does not tell apart from a mobile (the United States,
Canada). A landline or any other kind is refused with a message that says so. Ofcom's drama range (07700
900000 to 900999, which libphonenumber does not know as mobile) is accepted, as GOV.UK Notify accepts it: the
numbers exist for testing, and no one can confirm a code sent to one.
"""

from __future__ import annotations

import dataclasses

import phonenumbers

from govplatform.core.interfaces import N_, UserFacingError

MAX_TYPED = 40  # a longer value is refused, not cut: a number is never this long, even with spaces
_TEXTABLE = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})
_LANDLINES = frozenset({phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.UAN})
_DRAMA_FIRST, _DRAMA_LAST = 447700900000, 447700900999  # Ofcom's numbers for drama and testing

ENTER_NUMBER = N_("Enter a mobile phone number")
WRONG_FORMAT = N_(
    "Enter a mobile phone number in the correct format, like 07700 900 982, or with its country code, like "
    "+33 6 12 34 56 78"
)
LANDLINE = N_("The number you entered is a landline. Enter a mobile phone number so we can text you a code")
NOT_A_MOBILE = N_("We cannot send a text message to this kind of number. Enter a mobile phone number")


class PhoneNumberRefused(UserFacingError):
    """The number typed cannot get a text message; the message says why and what to type instead."""


@dataclasses.dataclass(frozen=True)
class MobileNumber:
    e164: str  # "+447700900123"
    as_typed: str  # "07700 900123", without the spaces around it

    @property
    def ending(self) -> str:
        return ending(self.e164)


def ending(e164: str) -> str:
    """The last 4 digits, which a page may show ("your phone number ending 0123") and the history may keep."""
    return e164[-4:]


def parse_mobile(typed: str) -> MobileNumber:
    """The number as a citizen typed it, checked; raises PhoneNumberRefused."""
    shown = typed.strip()
    if not shown:
        raise PhoneNumberRefused(ENTER_NUMBER)
    if len(shown) > MAX_TYPED or not shown.isprintable() or any(c.isalpha() for c in shown):
        raise PhoneNumberRefused(WRONG_FORMAT)
    try:
        number = phonenumbers.parse(shown, "GB")
    except phonenumbers.NumberParseException:
        raise PhoneNumberRefused(WRONG_FORMAT) from None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if _DRAMA_FIRST <= int(e164[1:]) <= _DRAMA_LAST:
        return MobileNumber(e164, shown)
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberRefused(WRONG_FORMAT)
    kind = phonenumbers.number_type(number)
    if kind in _LANDLINES:
        raise PhoneNumberRefused(LANDLINE)
    if kind not in _TEXTABLE:
        raise PhoneNumberRefused(NOT_A_MOBILE)
    return MobileNumber(e164, shown)
