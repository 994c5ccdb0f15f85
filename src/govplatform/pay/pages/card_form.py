"""The card details form: its fields, the countries it offers, and the checks made on what was typed.

Field names and ids are pay-frontend's (`cardNo` in `#card-no`, `expiryMonth`
in `#expiry-month`, ...), so a service's end-to-end tests written against
GOV.UK Pay's pages fill ours unchanged. Every field is checked and every
problem reported at once, in the order the fields appear, as the GOV.UK error
summary wants. The card rules are the pay component's own (`cards.py`); the
rules on the other fields follow pay-frontend's `charge-validation-fields.js`:
a name, address line or postcode holding more than 11 digits is refused, since
that is a card number typed in the wrong box, which must not be kept; a name
that is only 3 or 4 digits is a security code in the wrong box; a postcode
must be a complete UK postcode when the country is the United Kingdom.

The card number and the security code are never put back into the form, and
nothing here logs or keeps them: they leave this module only inside the
`CardEntry` handed to the journey service.

Countries and territories come from Babel's CLDR data, named in the page's
language; the codes that are not places a card can be billed to (regions,
pseudo-locales and CLDR's exceptionally reserved codes) are left out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Mapping

from babel import Locale

from govplatform.core.interfaces import N_, gettext_, localise
from govplatform.pay.cards import (
    CardBrand,
    CardDetails,
    CardError,
    CardExpiry,
    CardNumber,
    contains_card_number,
    validate_card_number,
    validate_cvc,
    validate_expiry,
)
from govplatform.pay.requests import BillingAddress
from govplatform.pay.services.journey import CardEntry

# Form field name -> element id (the error summary links to the id).
FIELD_IDS = {
    "cardNo": "card-no",
    "expiryMonth": "expiry-month",
    "expiryYear": "expiry-year",
    "cardholderName": "cardholder-name",
    "cvc": "cvc",
    "addressLine1": "address-line-1",
    "addressLine2": "address-line-2",
    "addressCity": "address-city",
    "addressPostcode": "address-postcode",
    "addressCountry": "address-country",
    "email": "email",
}
NEVER_ECHOED = frozenset({"cardNo", "cvc"})
KEPT_FIELDS = tuple(name for name in FIELD_IDS if name not in NEVER_ECHOED)
DEFAULT_COUNTRY = "GB"
TEXT_MAX = 255
POSTCODE_MAX = 25
EMAIL_MAX = 254
_NOT_PLACES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"})
_UK_POSTCODE = re.compile(r"^(GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_MAX_DIGITS_OUTSIDE_CARD_NUMBER = 11
_SUSPECTED_CVC = re.compile(r"^\s*\d{3,4}\s*$")


@dataclasses.dataclass(frozen=True)
class FieldError:
    field: str  # the form field's name
    message: str  # already in the page's language

    def summary_item(self) -> dict[str, str]:
        return {"text": self.message, "href": f"#{FIELD_IDS[self.field]}"}


@dataclasses.dataclass(frozen=True)
class CardForm:
    """What a submitted form gave: a card entry to authorise, or the problems and what to show again."""

    entry: CardEntry | None
    errors: list[FieldError]
    kept: dict[str, str]  # every field but the card number and the security code
    expiry_fields: frozenset[str] = frozenset()  # which of month and year the expiry date's error is about


@functools.cache
def countries(language: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of every country and territory, sorted by its name in the language."""
    names = Locale.parse(language).territories
    english = Locale.parse("en").territories
    found = [
        (code, str(names.get(code) or english[code]))
        for code in english
        if isinstance(code, str) and len(code) == 2 and code.isalpha() and code not in _NOT_PLACES
    ]
    return tuple(sorted(found, key=lambda item: _sort_key(item[1])))


def _sort_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _text(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _looks_like_card_number(text: str) -> bool:
    return _digits(text) > _MAX_DIGITS_OUTSIDE_CARD_NUMBER


def normalise_postcode(text: str) -> str:
    return "".join(text.split()).upper()


def uk_postcode(text: str) -> str | None:
    """A complete UK postcode written the usual way ("SW1A 2AA"), or None."""
    packed = normalise_postcode(text)
    if not _UK_POSTCODE.match(packed):
        return None
    return f"{packed[:-3]} {packed[-3:]}"


def email_problem(email: str) -> str | None:
    if not email:
        return N_("Enter an email address")
    if len(email) > EMAIL_MAX:
        return N_("Email address must be 254 characters or fewer")
    if not _EMAIL.match(email) or contains_card_number(email):  # a card number must not be kept (DESIGN.md)
        return N_("Enter an email address in the correct format, like name@example.com")
    return None


def read(form: Mapping[str, object], now: dt.datetime) -> CardForm:
    """Check every field of a submitted card details form; messages come in the current language."""
    kept = {name: _text(form, name) for name in KEPT_FIELDS}
    errors: list[FieldError] = []

    def fail(field: str, problem: CardError | str) -> None:
        errors.append(FieldError(field, localise(problem) if isinstance(problem, CardError) else gettext_(problem)))

    number: CardNumber | None = None
    try:
        number = validate_card_number(_text(form, "cardNo"))
    except CardError as problem:
        fail("cardNo", problem)
    expiry: CardExpiry | None = None
    expiry_fields: frozenset[str] = frozenset()
    try:
        expiry = validate_expiry(kept["expiryMonth"], kept["expiryYear"], now)
    except CardError as problem:
        expiry_fields = _expiry_fields(problem.reason, kept)
        fail("expiryMonth" if "expiryMonth" in expiry_fields else "expiryYear", problem)
    name = kept["cardholderName"]
    if not name or _looks_like_card_number(name) or _SUSPECTED_CVC.match(name):
        fail("cardholderName", N_("Enter the name as it appears on the card"))
    elif len(name) > TEXT_MAX:
        fail("cardholderName", N_("Name on card must be 255 characters or fewer"))
    cvc: str | None = None
    raw_cvc = _text(form, "cvc")
    # Without a good card number there is no brand: 3 or 4 digits will do until there is one.
    brand = number.brand if number else (CardBrand.AMERICAN_EXPRESS if len(raw_cvc) == 4 else CardBrand.VISA)
    try:
        cvc = validate_cvc(raw_cvc, brand)
    except CardError as problem:
        fail("cvc", problem)
    address = _address(kept, fail)
    email = kept["email"]
    email_error = email_problem(email)
    if email_error:
        fail("email", email_error)
    if errors or number is None or expiry is None or cvc is None or address is None:
        return CardForm(None, errors, kept, expiry_fields)
    card = CardDetails(number=number, cvc=cvc, expiry=expiry, cardholder_name=name)
    return CardForm(CardEntry(card=card, billing_address=address, email=email), [], kept)


def _expiry_fields(reason: str, kept: dict[str, str]) -> frozenset[str]:
    """The parts of the expiry date to mark as wrong: the blank or wrong ones, or both (GOV.UK's date input)."""
    if reason == "invalidMonth":
        return frozenset({"expiryMonth"})
    if reason == "invalidYear":
        return frozenset({"expiryYear"})
    blank = frozenset(name for name in ("expiryMonth", "expiryYear") if not kept[name])
    return blank if reason == "missing" and blank else frozenset({"expiryMonth", "expiryYear"})


def _address(kept: dict[str, str], fail: Callable[[str, str], None]) -> BillingAddress | None:
    """The billing address (GOV.UK's address pattern and its messages), or None after reporting each problem."""
    problems: list[tuple[str, str]] = []
    line1, line2, city = kept["addressLine1"], kept["addressLine2"], kept["addressCity"]
    if not line1:
        problems.append(("addressLine1", N_("Enter address line 1, typically the building and street")))
    elif _looks_like_card_number(line1) or len(line1) > TEXT_MAX:
        problems.append(("addressLine1", N_("Enter a valid billing address")))
    if line2 and (_looks_like_card_number(line2) or len(line2) > TEXT_MAX):
        problems.append(("addressLine2", N_("Enter a valid billing address")))
    if not city:
        problems.append(("addressCity", N_("Enter town or city")))
    elif _looks_like_card_number(city) or len(city) > TEXT_MAX:
        problems.append(("addressCity", N_("Enter a valid town or city")))
    postcode = kept["addressPostcode"]
    country = kept["addressCountry"] or DEFAULT_COUNTRY
    if country == DEFAULT_COUNTRY:
        if not postcode:
            problems.append(("addressPostcode", N_("Enter postcode")))
        else:
            postcode = uk_postcode(postcode) or ""
            if not postcode:
                problems.append(("addressPostcode", N_("Enter a full UK postcode")))
    elif _looks_like_card_number(postcode) or len(postcode) > POSTCODE_MAX:
        problems.append(("addressPostcode", N_("Enter a valid postcode")))
    if country not in {code for code, _name in countries("en")}:
        problems.append(("addressCountry", N_("Select a country or territory")))
    for field, message in problems:
        fail(field, message)
    if problems:
        return None
    return BillingAddress(line1=line1, line2=line2 or None, city=city, postcode=postcode or None, country=country)
