"""Email addresses and phone numbers: Notify's recipient checks and normalisation.

Callers of a GOV.UK Notify-compatible API read the error *messages*: client
libraries show them, services match on them in their own code, and tests in
the wild assert on them. So this module follows the recipient checks of
notifications-utils (``recipient_validation``: ``email_address.py``,
``phone_number.py`` and ``errors.py``) rule for rule, message for message,
using the same ``phonenumbers`` library for phone numbers.

Email addresses (``validate_email_address``)
    Zero-width spaces, line and paragraph separators and non-breaking spaces
    are removed anywhere in the value, then surrounding whitespace is
    stripped. The local part may hold only ASCII letters, digits and
    ``.!#$%&'*+/=?^_`{|}~-`` (no quotes, semicolons, commas or spaces; this
    is stricter than RFC 5322 on purpose, to keep the sending provider
    happy). The domain must not start with a dot and is IDNA-encoded, so
    ``例え.テスト`` is allowed. No ``..`` anywhere, at most 320 characters in
    all, at most 253 in the encoded domain, at least two labels of 1-63
    characters made of letters and digits joined by one or two hyphens, and a
    top-level domain of 2-63 letters or a well-formed ``xn--`` label. IP
    addresses are not accepted. The value is returned stripped but with its
    case kept; Notify lower-cases it only when it stores ``normalised_to``.

Phone numbers (``validate_phone_number``)
    Only digits, whitespace and ``()+-`` are allowed. A number without a
    country code is read as British. Should it fail, Notify tries again with
    every ``+`` and any leading zeros removed, which rescues ``0+447700...``,
    ``+07700...`` and ``000007700...``. A number that is not a possible
    British number is tried as international, as if a ``+`` had been lost
    (spreadsheets drop it), so ``447700900123`` and ``12025550123`` both
    work. The number must be valid for its country and of an allowed type
    (mobile, fixed line, either of the two, UAN or personal). Premium-rate,
    toll-free, shared-cost, VoIP and pager numbers are rejected. The
    exception is Ofcom's drama range: a British national number that starts
    ``7700`` passes even though ``phonenumbers`` does not know it. That
    range includes the smoke-test numbers. Notify's own check is looser than
    Ofcom's ``07700 900000``-``900999`` and takes *any* national number
    starting ``7700``, in any country; this module does the same.

    The caller's permissions decide the rest. ``international=False``
    rejects a number whose country code is not 44; Jersey, Guernsey and the
    Isle of Man are +44 and still pass. ``uk_landline=False`` rejects a
    British fixed-line or UAN number. Both raise "Not a UK mobile number".
    Finally, the country code must be one Notify can send to and bill for.
    The defaults (international allowed, landlines not) are the permissions
    a new Notify service gets.

    ``PhoneNumber.normalised`` is the number in E.164 without the ``+``, as
    Notify stores it and passes it to its SMS providers. ``country_prefix``
    and ``rate_multiplier`` come from Notify's international billing table
    (``international_billing_rates.yml``). It is keyed by country code,
    except that North American islands with their own rate (for example
    Montserrat, ``1664``) are keyed by code and area code.
    ``_RATE_MULTIPLIERS`` below holds that table's codes and multipliers
    only, copied from a snapshot of the file in which the field was still
    called ``billable_units``. Newer versions of Notify call it
    ``rate_multiplier``. If Notify changes a rate or adds a country, this
    table needs the same edit.

Errors
    Both errors carry ``.message``, the exact text Notify's public v2 API
    returns. For phone numbers that is Notify's "legacy v2 API" wording
    ("Not enough digits", not the admin app's "Mobile number is too short"),
    and ``.code`` names the reason. Nothing here adds a field name; the
    caller decides that, the way Notify's API does:

    - JSON-schema stage (every request):
      ``validate_email_address(value)`` and
      ``validate_phone_number(value, international=True, uk_landline=True)``.
      A failure becomes a 400 ``ValidationError`` whose message starts with
      the field name: "email_address Not a valid email address", or
      "phone_number Not enough digits".
    - Service stage (after the schema passes), with the service's own
      ``international_sms`` and ``sms_to_uk_landlines`` permissions:
      a failure becomes a 400 ``{"error": "InvalidPhoneError", "message":
      <message>}`` with *no* field-name prefix. The exception is "Not a UK
      mobile number" for an international number that is not a Crown
      dependency, which Notify reports as the ``BadRequestError`` "Cannot
      send to international mobile numbers" instead.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

# Characters Notify treats as invisible: removed anywhere in an address.
_ZERO_WIDTH_WHITESPACE = "\u180e\u200b\u200c\u200d\u2060\ufeff\u2028\u2029"
_NON_BREAKING_WHITESPACE = "\u00a0\u202f"
_ALL_WHITESPACE = string.whitespace + _ZERO_WIDTH_WHITESPACE + _NON_BREAKING_WHITESPACE


class InvalidRecipientError(Exception):
    """A recipient Notify would refuse; ``message`` is the text its API returns."""

    default_message = "Not a valid recipient address"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidEmailError(InvalidRecipientError):
    default_message = "Not a valid email address"


class PhoneErrorCode(StrEnum):
    INVALID_NUMBER = "invalid_number"
    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"
    NOT_A_UK_MOBILE = "not_a_uk_mobile"
    UNKNOWN_CHARACTER = "unknown_character"
    UNSUPPORTED_COUNTRY_CODE = "unsupported_country_code"


PHONE_ERROR_MESSAGES: dict[PhoneErrorCode, str] = {
    PhoneErrorCode.INVALID_NUMBER: "Number is not valid – double check the phone number you entered",
    PhoneErrorCode.TOO_LONG: "Too many digits",
    PhoneErrorCode.TOO_SHORT: "Not enough digits",
    PhoneErrorCode.NOT_A_UK_MOBILE: "Not a UK mobile number",
    PhoneErrorCode.UNKNOWN_CHARACTER: "Must not contain letters or symbols",
    PhoneErrorCode.UNSUPPORTED_COUNTRY_CODE: "Not a valid country prefix",
}


class InvalidPhoneError(InvalidRecipientError):
    def __init__(self, code: PhoneErrorCode) -> None:
        self.code = code
        super().__init__(PHONE_ERROR_MESSAGES[code])


# ---------------------------------------------------------------- email

_LOCAL_PART_CHARACTERS = r"a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-"
_EMAIL_ADDRESS = re.compile(rf"[{_LOCAL_PART_CHARACTERS}]+@(?P<domain>[^.@][^@\s]+)")
# A label is letters and digits, in runs joined by one or two hyphens
# (two for punycode, as in "xn--"), or "xn" followed by such a run.
_DOMAIN_LABEL = re.compile(r"(?:xn|[a-z0-9]+)(?:--?[a-z0-9]+)*", re.IGNORECASE)
_TOP_LEVEL_DOMAIN = re.compile(r"[a-z]{2,63}|xn--(?:[a-z0-9]+-)*[a-z0-9]+", re.IGNORECASE)
_MAX_EMAIL_ADDRESS_LENGTH = 320
_MAX_DOMAIN_LENGTH = 253
_MAX_LABEL_LENGTH = 63


def strip_and_remove_obscure_whitespace(value: str) -> str:
    for character in _ZERO_WIDTH_WHITESPACE + _NON_BREAKING_WHITESPACE:
        value = value.replace(character, "")
    return value.strip(string.whitespace)


def validate_email_address(value: str) -> str:
    """Return the address stripped of whitespace, or raise ``InvalidEmailError``."""
    address = strip_and_remove_obscure_whitespace(value)
    match = _EMAIL_ADDRESS.fullmatch(address)
    if match is None or len(address) > _MAX_EMAIL_ADDRESS_LENGTH or ".." in address:
        raise InvalidEmailError
    if not _is_valid_domain(_to_ascii_domain(match["domain"])):
        raise InvalidEmailError
    return address


def _to_ascii_domain(domain: str) -> str:
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise InvalidEmailError from error


def _is_valid_domain(domain: str) -> bool:
    labels = domain.split(".")
    if len(domain) > _MAX_DOMAIN_LENGTH or len(labels) < 2:
        return False
    return all(_is_valid_label(label) for label in labels) and bool(_TOP_LEVEL_DOMAIN.fullmatch(labels[-1]))


def _is_valid_label(label: str) -> bool:
    return 0 < len(label) <= _MAX_LABEL_LENGTH and bool(_DOMAIN_LABEL.fullmatch(label))


# ---------------------------------------------------------------- phone

UK_COUNTRY_CODE = 44
_PHONE_CHARACTERS = frozenset(_ALL_WHITESPACE + "()+-0123456789")
_ALLOWED_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        phonenumbers.PhoneNumberType.UAN,
        phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
    }
)
_LANDLINE_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        phonenumbers.PhoneNumberType.UAN,
    }
)
_LENGTH_ERRORS = {
    phonenumbers.ValidationResult.TOO_LONG: PhoneErrorCode.TOO_LONG,
    phonenumbers.ValidationResult.TOO_SHORT: PhoneErrorCode.TOO_SHORT,
    # A number that needs an area code to be dialled from elsewhere.
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: PhoneErrorCode.TOO_SHORT,
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: PhoneErrorCode.UNSUPPORTED_COUNTRY_CODE,
}

# Notify's international SMS rate multipliers by billing prefix: the country
# code, or for some North American islands country code and area code.
# Only these countries can be sent to (see the module docstring on staleness).
# fmt: off
_RATE_MULTIPLIERS: dict[str, int] = {
    "1": 1, "7": 4, "20": 3, "27": 2, "30": 2, "31": 3, "32": 3, "33": 2, "34": 2, "36": 3,
    "39": 2, "40": 2, "41": 2, "43": 3, "44": 1, "45": 2, "46": 2, "47": 3, "48": 2, "49": 4,
    "51": 2, "52": 2, "53": 2, "54": 3, "55": 2, "56": 1, "57": 1, "58": 2, "60": 1, "61": 2,
    "62": 2, "63": 1, "64": 3, "65": 1, "66": 2, "81": 3, "82": 2, "84": 2, "86": 2, "90": 2,
    "91": 3, "92": 2, "93": 3, "94": 2, "95": 2, "98": 2,
    "211": 2, "212": 2, "213": 2, "216": 2, "218": 2, "220": 2, "221": 2, "222": 2, "223": 2,
    "224": 3, "225": 2, "226": 3, "227": 3, "228": 2, "229": 3, "230": 2, "231": 2, "232": 2,
    "233": 2, "234": 4, "235": 3, "236": 3, "237": 2, "238": 3, "239": 2, "240": 2, "241": 2,
    "242": 3, "243": 3, "244": 3, "245": 3, "246": 2, "248": 2, "249": 2, "250": 2, "251": 2,
    "252": 2, "253": 2, "254": 1, "255": 1, "256": 2, "257": 3, "258": 2, "260": 2, "261": 2,
    "262": 2, "263": 1, "264": 2, "265": 2, "266": 2, "267": 2, "268": 2, "269": 2, "291": 4,
    "297": 3, "298": 2, "299": 2,
    "350": 2, "351": 2, "352": 2, "353": 3, "354": 2, "355": 2, "356": 2, "357": 2, "358": 3,
    "359": 4, "370": 2, "371": 2, "372": 2, "373": 3, "374": 3, "375": 1, "376": 2, "377": 2,
    "378": 3, "380": 4, "381": 1, "382": 2, "383": 4, "385": 2, "386": 2, "387": 2, "389": 1,
    "420": 4, "421": 2, "423": 1,
    "500": 2, "501": 3, "502": 3, "503": 2, "504": 2, "505": 3, "506": 2, "507": 2, "508": 2,
    "509": 3, "590": 2, "591": 3, "592": 2, "593": 1, "594": 2, "595": 2, "596": 2, "597": 4,
    "598": 1, "599": 3,
    "670": 2, "672": 3, "673": 1, "674": 2, "675": 2, "676": 2, "677": 1, "678": 2, "679": 2,
    "680": 3, "681": 4, "682": 3, "683": 4, "685": 3, "686": 4, "687": 3, "689": 2, "690": 4,
    "691": 2, "692": 1,
    "852": 3, "853": 1, "855": 3, "856": 2, "880": 3, "886": 2,
    "960": 2, "961": 2, "962": 2, "963": 3, "964": 2, "965": 2, "966": 2, "967": 2, "968": 1,
    "970": 4, "971": 2, "972": 3, "973": 3, "974": 1, "975": 2, "976": 2, "977": 2, "992": 2,
    "993": 2, "994": 2, "995": 2, "996": 2, "998": 2,
    "1242": 2, "1246": 3, "1264": 3, "1268": 3, "1284": 3, "1345": 3, "1441": 3, "1473": 3,
    "1649": 3, "1664": 3, "1684": 3, "1721": 1, "1758": 3, "1767": 3, "1784": 3, "1868": 3,
    "1869": 3, "1876": 3,
}
# fmt: on


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A phone number Notify would send to.

    ``normalised`` is E.164 without the ``+`` (``447700900123``).
    ``international`` is true for numbers outside Great Britain and Northern
    Ireland, including the Crown dependencies (for which ``crown_dependency``
    is also true). Numbers in the drama range count as British.
    ``country_prefix`` is the billing prefix (``44``, ``33``, or ``1664``
    for Montserrat), and ``rate_multiplier`` is how many UK text messages
    one fragment to that prefix costs.
    """

    normalised: str
    international: bool
    crown_dependency: bool
    country_prefix: str
    rate_multiplier: int

    @property
    def is_uk_phone_number(self) -> bool:
        """True for +44 numbers, Crown dependencies included."""
        return self.country_prefix == str(UK_COUNTRY_CODE)


def validate_phone_number(value: str, *, international: bool = True, uk_landline: bool = False) -> PhoneNumber:
    """Check a phone number as Notify does; raise ``InvalidPhoneError`` if it would refuse it."""
    number = _parse_leniently(value)
    _check_permissions(number, international=international, uk_landline=uk_landline)
    if str(number.country_code) not in _RATE_MULTIPLIERS:
        raise InvalidPhoneError(PhoneErrorCode.UNSUPPORTED_COUNTRY_CODE)
    return _describe(number)


def _parse_leniently(value: str) -> phonenumbers.PhoneNumber:
    try:
        return _parse(value)
    except InvalidPhoneError:
        # Stray plus signs and leading zeros, as in "0+44..." or "+07700...".
        return _parse(value.replace("+", "").lstrip("0"))


def _parse(value: str) -> phonenumbers.PhoneNumber:
    if set(value) - _PHONE_CHARACTERS:
        raise InvalidPhoneError(PhoneErrorCode.UNKNOWN_CHARACTER)
    if not value:
        raise InvalidPhoneError(PhoneErrorCode.TOO_SHORT)
    number = _parse_as_british(value)
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        forced = _parse_as_international(value)
        if forced is None:
            raise InvalidPhoneError(_LENGTH_ERRORS.get(reason, PhoneErrorCode.INVALID_NUMBER))
        number = forced
    if not _is_sendable(number) and not _is_drama_number(number):
        raise InvalidPhoneError(PhoneErrorCode.INVALID_NUMBER)
    return number


def _parse_as_british(value: str) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneError(PhoneErrorCode.INVALID_NUMBER) from error


def _parse_as_international(value: str) -> phonenumbers.PhoneNumber | None:
    """Read the number as if it had a leading ``+``, if that makes it possible."""
    try:
        number = phonenumbers.parse(f"+{value}")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def _is_sendable(number: phonenumbers.PhoneNumber) -> bool:
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in _ALLOWED_TYPES


def _is_drama_number(number: phonenumbers.PhoneNumber) -> bool:
    """Notify's test for Ofcom's drama range: any national number starting 7700 and a digit."""
    national = str(number.national_number)
    return national.startswith("7700") and len(national) > len("7700")


def _check_permissions(number: phonenumbers.PhoneNumber, *, international: bool, uk_landline: bool) -> None:
    is_uk = number.country_code == UK_COUNTRY_CODE
    if not international and not is_uk:
        raise InvalidPhoneError(PhoneErrorCode.NOT_A_UK_MOBILE)
    if is_uk and not uk_landline and phonenumbers.number_type(number) in _LANDLINE_TYPES:
        raise InvalidPhoneError(PhoneErrorCode.NOT_A_UK_MOBILE)


def _describe(number: phonenumbers.PhoneNumber) -> PhoneNumber:
    prefix = _billing_prefix(number)
    outside_great_britain = phonenumbers.region_code_for_number(number) != "GB" and not _is_drama_number(number)
    return PhoneNumber(
        normalised=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).removeprefix("+"),
        international=outside_great_britain,
        crown_dependency=outside_great_britain and number.country_code == UK_COUNTRY_CODE,
        country_prefix=prefix,
        rate_multiplier=_RATE_MULTIPLIERS[prefix],
    )


def _billing_prefix(number: phonenumbers.PhoneNumber) -> str:
    country_code = str(number.country_code)
    if country_code == "1":
        with_area_code = country_code + str(number.national_number)[:3]
        if with_area_code in _RATE_MULTIPLIERS:
            return with_area_code
    return country_code
