"""Card checks for the hosted payment pages, made before a processor ever sees the card.

Why by hand: the checks are a few lines each, and they must agree exactly with
GOV.UK Pay's own pages, which no Python library copies. The behaviour follows
alphagov/pay-frontend (`app/utils/charge-validation-fields.js`):

- every character that is not a digit is dropped before checking (we accept
  only spaces and dashes and refuse anything else, so "4444 3333 abc" is an
  error rather than a silently shortened number);
- a number has 12 to 19 digits and passes the Luhn check (ISO/IEC 7812-1);
- the brand comes from the number's leading digits, and must be one the
  service accepts;
- the expiry month is 1-12 (one or two digits), the year two or four digits
  and no later than 2099, and a card is good until the end of its expiry month.

Brand prefixes, lengths and security-code lengths are those of Braintree's
`credit-card-type` package (`src/lib/card-types.ts`), which pay-frontend uses
to name the brand; Pay's brand identifiers (`master-card`, not `mastercard`)
are those of alphagov/pay-cardid's `BinRangeParser`. We also check each
brand's own lengths, which Pay's pages do not (they check only 12-19).

Credit or debit is not knowable from the brand: Pay looks the first digits up
in its processor's BIN file (pay-cardid) and reports `card_type` as "credit",
"debit" or null. `card_type_from_bin_class` maps that file's class letters.

The full number and the security code live only in `CardDetails` for the few
milliseconds of an authorisation; the platform keeps only brand, first six,
last four, expiry and cardholder name (DESIGN.md, "Security baseline").
"""

from __future__ import annotations

import dataclasses
import enum
import re
import unicodedata
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from govplatform.core.interfaces import N_, UserFacingError

LONDON = ZoneInfo("Europe/London")
MIN_DIGITS = 12
MAX_DIGITS = 19
_DIGITS = frozenset("0123456789")
_SEPARATORS = frozenset(" -")


class CardBrand(enum.StrEnum):
    """The brands Pay takes, by Pay's own identifiers."""

    VISA = "visa"
    MASTER_CARD = "master-card"
    AMERICAN_EXPRESS = "american-express"
    DINERS_CLUB = "diners-club"
    DISCOVER = "discover"
    JCB = "jcb"
    UNIONPAY = "unionpay"
    MAESTRO = "maestro"


@dataclasses.dataclass(frozen=True)
class BrandRule:
    """What a brand's numbers look like: leading-digit ranges, lengths, security-code length."""

    brand: CardBrand
    label: str
    prefixes: tuple[tuple[int, int], ...]
    lengths: frozenset[int]
    cvc_length: int

    def prefix_strength(self, digits: str) -> int:
        """How many leading digits the best matching prefix covers; 0 if none matches."""
        best = 0
        for low, high in self.prefixes:
            width = len(str(low))
            if len(digits) >= width and low <= int(digits[:width]) <= high and width > best:
                best = width
        return best


def _r(*items: int | tuple[int, int]) -> tuple[tuple[int, int], ...]:
    return tuple(item if isinstance(item, tuple) else (item, item) for item in items)


# From credit-card-type's card-types.ts (the brands Pay takes, in its order,
# which breaks ties between prefixes of the same length).
BRAND_RULES: tuple[BrandRule, ...] = (
    BrandRule(CardBrand.VISA, "Visa", _r(4), frozenset({16, 18, 19}), 3),
    BrandRule(
        CardBrand.MASTER_CARD,
        "Mastercard",
        _r((51, 55), (2221, 2229), (223, 229), (23, 26), (270, 271), 2720),
        frozenset({16}),
        3,
    ),
    BrandRule(CardBrand.AMERICAN_EXPRESS, "American Express", _r(34, 37), frozenset({15}), 4),
    BrandRule(CardBrand.DINERS_CLUB, "Diners Club", _r((300, 305), 36, 38, 39), frozenset({14, 16, 19}), 3),
    BrandRule(CardBrand.DISCOVER, "Discover", _r(6011, (644, 649), 65), frozenset({16, 19}), 3),
    BrandRule(CardBrand.JCB, "JCB", _r(2131, 1800, (3528, 3589)), frozenset({16, 17, 18, 19}), 3),
    BrandRule(
        CardBrand.UNIONPAY,
        "Union Pay",
        _r(
            620,
            (624, 626),
            (62100, 62182),
            (62184, 62187),
            (62185, 62197),
            (62200, 62205),
            (622010, 622999),
            622018,
            (622019, 622999),
            (62207, 62209),
            (622126, 622925),
            (623, 626),
            6270,
            6272,
            6276,
            (627700, 627779),
            (627781, 627799),
            (6282, 6289),
            6291,
            6292,
            810,
            (8110, 8131),
            (8132, 8151),
            (8152, 8163),
            (8164, 8171),
        ),
        frozenset(range(14, 20)),
        3,
    ),
    BrandRule(
        CardBrand.MAESTRO,
        "Maestro",
        _r(493698, (500000, 504174), (504176, 506698), (506779, 508999), (56, 59), 63, 67, 6),
        frozenset(range(12, 20)),
        3,
    ),
)
RULES_BY_BRAND: dict[CardBrand, BrandRule] = {rule.brand: rule for rule in BRAND_RULES}
ALL_BRANDS: frozenset[CardBrand] = frozenset(CardBrand)


def brand_label(brand: str | None) -> str | None:
    """A stored brand as people and Pay's API name it ("Visa"); a brand we do not know, as stored."""
    if brand is None:
        return None
    try:
        return RULES_BY_BRAND[CardBrand(brand)].label
    except ValueError:
        return brand


class CardError(UserFacingError):
    """A card detail is wrong; `reason` names which rule, as pay-frontend's validators do."""

    def __init__(self, reason: str, template: str, **params: object) -> None:
        self.reason = reason
        super().__init__(template, **params)


def normalise_card_number(raw: str) -> str:
    """The digits of a card number typed with or without spaces and dashes."""
    stripped = raw.strip()
    if not stripped:
        raise CardError("missing", N_("Enter your card number"))
    if any(ch not in _DIGITS and ch not in _SEPARATORS for ch in stripped):
        raise CardError("notDigits", N_("Card number must only include numbers 0 to 9"))
    return "".join(ch for ch in stripped if ch in _DIGITS)


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of ISO/IEC 7812-1; False for anything but ASCII digits."""
    if not digits or any(ch not in _DIGITS for ch in digits):
        return False
    return _luhn_sum(digits) % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that, appended to `partial`, makes a Luhn-valid number."""
    return str((10 - _luhn_sum(partial + "0") % 10) % 10)


def _luhn_sum(digits: str) -> int:
    total = 0
    for position, ch in enumerate(reversed(digits)):
        value = ord(ch) - 48
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total


def detect_brand(digits: str) -> BrandRule | None:
    """The brand whose longest matching prefix is longest, as credit-card-type chooses."""
    best: BrandRule | None = None
    best_strength = 0
    for rule in BRAND_RULES:
        strength = rule.prefix_strength(digits)
        if strength > best_strength:
            best, best_strength = rule, strength
    return best


def is_card_number(digits: str) -> bool:
    """Whether these digits could be a card's: 12 to 19 of them, a good Luhn check digit, a brand's prefix."""
    return MIN_DIGITS <= len(digits) <= MAX_DIGITS and luhn_valid(digits) and detect_brand(digits) is not None


# Digits as people type a card number into a text box: whole, or in groups split by spaces or hyphens.
_TYPED_DIGITS = re.compile(r"[0-9]+(?:[ -]{1,3}[0-9]+)*")


def contains_card_number(text: str) -> bool:
    """Whether free text holds a card number, so that it is refused rather than stored (DESIGN.md).

    Every run of neighbouring digit groups is tried, so digits typed in their own group before or after
    the number (a house number, an order number, the expiry date) do not hide it. Text is read in NFKC
    form, so full-width digits count as digits. A 16-digit number that is not a card still passes one
    time in ten, which is why callers ask this only of text that should not hold long numbers.
    """
    for run in _TYPED_DIGITS.finditer(unicodedata.normalize("NFKC", text)):
        groups = re.findall(r"[0-9]+", run.group())
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) > MAX_DIGITS:
                    break
                if is_card_number(digits):
                    return True
    return False


@dataclasses.dataclass(frozen=True)
class CardNumber:
    """A checked card number. Its repr shows only what may be kept."""

    digits: str = dataclasses.field(repr=False)
    brand: CardBrand

    @property
    def first_six(self) -> str:
        return first_six(self.digits)

    @property
    def last_four(self) -> str:
        return last_four(self.digits)

    def __repr__(self) -> str:
        return f"CardNumber({self.first_six}{'*' * (len(self.digits) - 10)}{self.last_four}, {self.brand})"

    __str__ = __repr__


def validate_card_number(raw: str, accepted: frozenset[CardBrand] = ALL_BRANDS) -> CardNumber:
    """A card number the service can take, or a CardError saying why not, in pay-frontend's order."""
    digits = normalise_card_number(raw)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise CardError("numberIncorrectLength", N_("Card number must be between 12 and 19 digits"))
    if not luhn_valid(digits):
        raise CardError("luhnInvalid", N_("Enter a valid card number"))
    rule = detect_brand(digits)
    if rule is None or rule.brand not in accepted:
        raise CardError("cardNotSupported", N_("This type of card is not accepted. Use a different card"))
    if len(digits) not in rule.lengths:
        raise CardError("numberIncorrectLength", N_("%(brand)s card numbers are not this long"), brand=rule.label)
    return CardNumber(digits=digits, brand=rule.brand)


def validate_cvc(raw: str, brand: CardBrand) -> str:
    """The security code: 4 digits on American Express cards, 3 on every other brand."""
    code = raw.strip()
    if not code:
        raise CardError("missing", N_("Enter your card security code"))
    expected = RULES_BY_BRAND[brand].cvc_length
    if len(code) != expected or any(ch not in _DIGITS for ch in code):
        raise CardError("invalidLength", N_("Card security code must be %(length)s digits"), length=expected)
    return code


@dataclasses.dataclass(frozen=True, order=True)
class CardExpiry:
    """The last month in which a card can be used."""

    year: int
    month: int

    @property
    def mm_yy(self) -> str:
        """The form Pay returns in `card_details.expiry_date`."""
        return f"{self.month:02d}/{self.year % 100:02d}"

    def has_passed(self, now: datetime) -> bool:
        """True once the expiry month is over in London, whatever the server's clock zone."""
        if now.tzinfo is None:
            raise ValueError("now must carry a time zone")
        local = now.astimezone(LONDON)
        return (self.year, self.month) < (local.year, local.month)


def validate_expiry(month: str, year: str, now: datetime) -> CardExpiry:
    """An expiry month and year as typed on the card page, checked as pay-frontend checks them."""
    month, year = month.strip(), year.strip()
    if not month or not year:
        raise CardError("missing", N_("Enter the expiry date"))
    if not (1 <= len(month) <= 2 and _all_digits(month) and 1 <= int(month) <= 12):
        raise CardError("invalidMonth", N_("Expiry month must be a number from 1 to 12"))
    if not (len(year) in (2, 4) and _all_digits(year)) or (len(year) == 4 and year[0] == "0"):
        raise CardError("invalidYear", N_("Expiry year must be 2 or 4 digits"))
    full_year = 2000 + int(year) if len(year) == 2 else int(year)
    if full_year > 2099:
        raise CardError("invalidYear", N_("Expiry year must be 2 or 4 digits"))
    expiry = CardExpiry(year=full_year, month=int(month))
    if expiry.has_passed(now):
        raise CardError("inThePast", N_("The card has expired. Use a different card"))
    return expiry


def parse_mm_yy(text: str) -> CardExpiry:
    """Read back an `expiry_date` in Pay's "MM/YY" form (no check against the clock)."""
    month, sep, year = text.partition("/")
    if sep != "/" or len(month) != 2 or len(year) != 2 or not _all_digits(month + year) or not 1 <= int(month) <= 12:
        raise ValueError("expiry_date must be MM/YY")
    return CardExpiry(year=2000 + int(year), month=int(month))


def _all_digits(text: str) -> bool:
    return bool(text) and all(ch in _DIGITS for ch in text)


def first_six(digits: str) -> str:
    """The first six digits (the BIN), which Pay keeps as `first_digits_card_number`."""
    return digits[:6]


def last_four(digits: str) -> str:
    """The last four digits, which Pay keeps as `last_digits_card_number`."""
    return digits[-4:]


def card_type_from_bin_class(bin_class: str) -> Literal["credit", "debit"] | None:
    """Pay's `card_type` from a BIN file's class: C credit, D or F debit, CD (either) unknown.

    pay-cardid's `CardType` reads these letters; Pay reports "credit or debit"
    as null in the API.
    """
    match bin_class.strip().upper():
        case "C":
            return "credit"
        case "D" | "F":
            return "debit"
        case "CD":
            return None
    raise ValueError(f"unknown BIN card class: {bin_class!r}")


@dataclasses.dataclass(frozen=True, repr=False)
class CardDetails:
    """What the card page collected, held only long enough to authorise.

    `repr` and `str` show the brand, first six, last four and expiry, never
    the full number or the security code, so a stray log line leaks nothing.
    """

    number: CardNumber
    cvc: str
    expiry: CardExpiry
    cardholder_name: str

    @property
    def brand(self) -> CardBrand:
        return self.number.brand

    @property
    def first_six(self) -> str:
        return self.number.first_six

    @property
    def last_four(self) -> str:
        return self.number.last_four

    def __repr__(self) -> str:
        return (
            f"CardDetails(brand={self.brand}, first_six={self.first_six}, "
            f"last_four={self.last_four}, expiry={self.expiry.mm_yy})"
        )

    __str__ = __repr__
