"""Untrusted request bodies and headers for the Pay API, turned into checked dataclasses or a `PayError`.

Why this follows alphagov/pay-publicapi so closely: integrations written for
GOV.UK Pay branch on the error `code`, show the `description` to their
developers and sometimes test the HTTP status. To be a drop-in replacement we
must answer every bad request with the same code, status, field and text,
and when a body has several faults, report the same one first. The checks
therefore run in the order a request meets them on Pay
(https://github.com/alphagov/pay-publicapi; docs/api/pay.md):

1. publicapi's JSON parser (`RequestJsonParser`): presence and JSON types.
   Wrong types are 400; only enum values (language, authorisation_mode,
   agreement_payment_type) and metadata are 422.
2. publicapi's bean validation (`CreateCardPaymentRequest`, mapped by
   `ViolationExceptionMapper`): lengths and ranges, 422 P0102 with `field`.
   Java reports "the first" of several violations from a hash set; we take
   them in the order the fields are declared.
3. connector's resource (`ChargesApiResource`): which modes need or forbid
   `return_url`, and the agreement-mode rules. publicapi relays these as
   P0101/P0104 (400) or P0102 (422) *without* a `field`.
4. connector's service (`ChargeService`): account capabilities (MOTO, the
   authorisation API, zero amounts), card numbers in references (and, ours,
   in the other free text that is stored), https for live accounts.

Where the notes we were given and Pay's code differ, the code wins; each such
place carries a "Pay:" comment. Lengths are counted as Java counts them
(UTF-16 units) and "blank" means Java's `Character.isWhitespace`, so an emoji
or a no-break space is judged as Pay judges it.

Undecodable JSON (P0197, P0697, P2197) is the web shell's job: these
functions get the decoded value. A decoded value that is not an object is
treated as Jackson's tree model treats it: an object with no fields.

Search query strings (the second half of this module) follow the same rule:
the same names, in the same order, in the same words.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import cast
from zoneinfo import ZoneInfo

from govplatform.pay.cards import contains_card_number
from govplatform.pay.errors import PayError, invalid, missing
from govplatform.pay.metadata import parse as parse_metadata

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_AMOUNT_MAX = 10_000_000
_TEXT_MAX = 255
_AUTHORISATION_MODES = ("web", "moto_api", "agreement")  # Pay's enum order, which its message keeps
_PAYMENT_TYPES = ("instalment", "recurring", "unscheduled")
_ADDRESS_PARTS = ("line1", "line2", "city", "postcode", "country")
_NAXSI_REFUSED = frozenset("<>|")  # publicapi refuses these in reference and description, as its WAF would
_LENGTH = "Must be less than or equal to {max} characters length"
_MOTO_NOT_ENABLED = (
    "MOTO payments are not enabled for this account. Please contact support if you would like to process "
    "MOTO payments - https://www.payments.service.gov.uk/support/ ."
)
_IDEMPOTENCY_KEY = re.compile(r"[a-zA-Z0-9-]+")
_JAVA_WHITESPACE_CONTROLS = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f")
_NO_BREAK_SPACES = frozenset("\u00a0\u2007\u202f")
_ABSENT = object()


@dataclasses.dataclass(frozen=True)
class BillingAddress:
    line1: str | None
    line2: str | None
    city: str | None
    postcode: str | None
    country: str | None

    def to_api(self) -> dict[str, str]:
        """The fields that were given, as Pay echoes them."""
        return {name: value for name, value in dataclasses.asdict(self).items() if value is not None}


@dataclasses.dataclass(frozen=True)
class CreatePayment:
    amount: int
    reference: str
    description: str
    return_url: str | None
    language: str = "en"
    email: str | None = None
    cardholder_name: str | None = None
    billing_address: BillingAddress | None = None
    delayed_capture: bool = False
    moto: bool = False
    metadata: dict[str, str | int | float | bool] | None = None
    authorisation_mode: str = "web"  # web, moto_api, agreement
    agreement_id: str | None = None
    set_up_agreement: str | None = None
    agreement_payment_type: str | None = None  # instalment, recurring, unscheduled


@dataclasses.dataclass(frozen=True)
class CreateRefund:
    amount: int
    refund_amount_available: int | None


@dataclasses.dataclass(frozen=True)
class CreateAgreement:
    reference: str
    description: str
    user_identifier: str | None


def _java_length(value: str) -> int:
    """String.length() in Java: UTF-16 code units, so an emoji counts as two."""
    return len(value.encode("utf-16-le", "surrogatepass")) // 2


def _is_blank(value: str) -> bool:
    """StringUtils.isBlank: empty or only Java whitespace (a no-break space is not whitespace)."""
    return all(
        ch in _JAVA_WHITESPACE_CONTROLS
        or (unicodedata.category(ch) in ("Zs", "Zl", "Zp") and ch not in _NO_BREAK_SPACES)
        for ch in value
    )


def _is_int32(value: object) -> bool:
    """Jackson's isInt(): a JSON integer that fits in 32 bits (booleans are not numbers)."""
    return isinstance(value, int) and not isinstance(value, bool) and _INT32_MIN <= value <= _INT32_MAX


def _fields(body: object) -> Mapping[str, object]:
    # Pay: a JSON array, string or null body reaches the parser as a tree node without fields, so it fails as
    # "Missing mandatory attribute: amount" (or reference), not as P0197 the way our notes supposed.
    return cast(Mapping[str, object], body) if isinstance(body, dict) else {}


def _amount(body: Mapping[str, object], missing_code: str, invalid_code: str) -> int:
    value = body.get("amount")
    if value is None:
        raise missing("amount", missing_code)
    if not _is_int32(value):
        # Pay: 100.0, "100", true and 3000000000 all fail here with 400, before any range check.
        raise invalid("amount", "Must be a valid numeric format", invalid_code, 400)
    return cast(int, value)


def _required_text(body: Mapping[str, object], name: str, missing_code: str, invalid_code: str) -> str:
    value = body.get(name)
    if value is None:
        raise missing(name, missing_code)
    if not isinstance(value, str):
        raise invalid(name, "Must be a valid string format", invalid_code, 400)
    if _is_blank(value):
        raise missing(name, missing_code)
    if name in ("reference", "description") and any(ch in _NAXSI_REFUSED for ch in value):
        raise invalid(name, "Must be a valid string format", invalid_code, 400)
    return value


def _optional_text(body: Mapping[str, object], name: str, reason: str, code: str = "P0102") -> str | None:
    """A string, or None for absent or JSON null (Pay skips nulls); any other type is a 400 with `reason`."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid(name, reason, code, 400)
    return value


def _choice(body: Mapping[str, object], name: str, allowed: tuple[str, ...], reason: str) -> str:
    """An enum value: a wrong JSON type, null or blank is a 400, an unknown value a 422."""
    value = body.get(name)
    if not isinstance(value, str) or _is_blank(value):
        raise invalid(name, reason, status_code=400)
    if value not in allowed:
        raise invalid(name, reason)
    return value


def _flag(body: Mapping[str, object], name: str) -> bool:
    if name not in body:
        return False
    value = body[name]
    if not isinstance(value, bool):  # Pay: an explicit null is refused too
        raise invalid(name, "Must be true or false", status_code=400)
    return value


def _check_lengths(*checks: tuple[str, str | None, int]) -> None:
    for name, value, limit in checks:
        if value is not None and _java_length(value) > limit:
            raise invalid(name, _LENGTH.format(max=limit))


def _relayed(status_code: int, code: str, description: str) -> PayError:
    """An error connector raises and publicapi passes on: Pay's body has no `field` for these."""
    return PayError(status_code, code, description)


def parse_create_payment(
    body: object,
    *,
    live: bool,
    allow_zero_amount: bool = False,
    moto_enabled: bool = False,
    return_url_prefixes: tuple[str, ...] = (),
) -> CreatePayment:
    """A POST /v1/payments body, checked in the order Pay checks it."""
    fields = _fields(body)

    # 1. publicapi's parser: presence and JSON types, field by field in its order.
    amount = _amount(fields, "P0101", "P0102")
    reference = _required_text(fields, "reference", "P0101", "P0102")
    description = _required_text(fields, "description", "P0101", "P0102")
    return_url = _optional_text(fields, "return_url", "Must be a valid URL format")
    moto = _flag(fields, "moto")
    # Pay: a set_up_agreement that is not a string is dropped without a word (Jackson's textValue() is null).
    raw_set_up = fields.get("set_up_agreement")
    set_up_agreement = raw_set_up if isinstance(raw_set_up, str) else None
    mode = "web"
    if "authorisation_mode" in fields:
        reason = "Must be one of " + ", ".join(_AUTHORISATION_MODES)
        mode = _choice(fields, "authorisation_mode", _AUTHORISATION_MODES, reason)
    agreement_id = None
    if "agreement_id" in fields:
        if mode != "agreement":  # Pay: 400 P0104, built without a field name
            raise PayError(400, "P0104", "Unexpected attribute: agreement_id")
        agreement_id = _required_text(fields, "agreement_id", "P0101", "P0102")
    payment_type = None
    if "agreement_payment_type" in fields:
        reason = "Must be one of " + ", ".join(_PAYMENT_TYPES)
        value = fields["agreement_payment_type"]
        if not isinstance(value, str) or _is_blank(value):
            raise invalid("agreement_payment_type", reason, status_code=400)
        if "set_up_agreement" not in fields and mode != "agreement":
            raise PayError(400, "P0104", "Unexpected attribute: agreement_payment_type")
        payment_type = _choice(fields, "agreement_payment_type", _PAYMENT_TYPES, reason)
    language = _choice(fields, "language", ("en", "cy"), 'Must be "en" or "cy"') if "language" in fields else "en"
    delayed_capture = _flag(fields, "delayed_capture")
    email = _optional_text(fields, "email", "Field must be a string")
    cardholder_name, address = _prefilled(fields.get("prefilled_cardholder_details"))
    metadata = parse_metadata(fields["metadata"]) if "metadata" in fields else None
    # Pay: unknown attributes (and `internal.source`, Pay's own payment links) are ignored, not refused:
    # the parser only ever looks up the names it knows, so there is no P0104 for them.

    # 2. publicapi's bean validation: 422 P0102 with the field.
    if amount < 0:  # Pay: the bean's minimum is 0 for every account; connector refuses 0 further down
        raise invalid("amount", "Must be greater than or equal to 1")
    if amount > _AMOUNT_MAX:
        raise invalid("amount", f"Must be less than or equal to {_AMOUNT_MAX}")
    _check_lengths(
        ("reference", reference, _TEXT_MAX),
        ("description", description, _TEXT_MAX),
        ("email", email, 254),
        ("return_url", return_url, 2000),
    )
    for name, text in (("set_up_agreement", set_up_agreement), ("agreement_id", agreement_id)):
        if text is not None and _java_length(text) != 26:
            raise invalid(name, f"Field [{name}] length must be 26")
    _check_prefilled(cardholder_name, address)

    # 3. connector's request checks.
    if mode == "agreement":
        if agreement_id is None:
            raise _relayed(400, "P0101", "Missing mandatory attribute: agreement_id")
        present = {"moto": moto, "email": email is not None}
        present["prefilled_cardholder_details"] = cardholder_name is not None or address is not None
        for name, given in present.items():
            if given:
                raise _relayed(400, "P0104", f"Unexpected attribute: {name}")
    if set_up_agreement is not None and mode != "web":
        # Pay: connector refuses this ("[authorisation_mode] must be [web]") with an error identifier that
        # publicapi does not map, so Pay answers 500 P0198. We answer as for agreement_id above instead.
        raise PayError(400, "P0104", "Unexpected attribute: set_up_agreement")
    if mode == "web":
        if not return_url:
            raise _relayed(400, "P0101", "Missing mandatory attribute: return_url")
        if not _valid_url(return_url):
            raise _relayed(422, "P0102", "Invalid attribute value: return_url. Must be a valid URL format")
    elif return_url is not None:
        raise _relayed(400, "P0104", "Unexpected attribute: return_url")

    # 4. connector's account checks.
    if mode == "moto_api":
        if not moto_enabled:
            raise PayError(422, "P0195", "Using authorisation_mode of moto_api is not allowed for this account")
    elif moto and not moto_enabled:
        raise PayError(422, "P0196", _MOTO_NOT_ENABLED)
    if card_number_in_reference(reference):
        # Pay: connector asks this only of payment-link and telephone-agent payments, only of the whole
        # reference, and only when pay-cardid knows the number's BIN. We ask it of every payment and of every
        # run of digits inside the reference; a known brand prefix stands in for the BIN lookup.
        raise PayError(400, "P0105", "Card number entered in a payment link reference")
    _refuse_card_numbers(
        ("description", description),
        ("email", email),
        ("cardholder_name", cardholder_name),
        *(((part, getattr(address, part)) for part in ("line1", "line2", "city", "postcode")) if address else ()),
    )
    if live and return_url is not None:
        if not return_url.startswith("https://"):
            # Pay: this is publicapi's answer to connector's NON_HTTPS_RETURN_URL_NOT_ALLOWED_FOR_A_LIVE_ACCOUNT
            # (CreatePaymentWithHttpReturnUrlIT), not the WAF's "Request blocked by security rules" text.
            raise invalid("return_url", "Must begin with https:// for a live gateway account", "P0920")
        if return_url_prefixes and not return_url.startswith(return_url_prefixes):
            # Ours, not Pay's: a service may pin its live return URLs. Answered like Pay's other return_url
            # value errors (422 P0102 with the field) so integrations need no new case.
            raise invalid("return_url", "Must start with one of the return URL prefixes set for this service")
    if amount == 0 and not allow_zero_amount:
        raise invalid("amount", "Must be greater than or equal to 1")  # connector's ZERO_AMOUNT_NOT_ALLOWED

    if payment_type is None and (set_up_agreement is not None or mode == "agreement"):
        payment_type = "recurring"  # connector's default, so the payment reads back as it does on Pay
    return CreatePayment(
        amount=amount,
        reference=reference,
        description=description,
        return_url=return_url,
        language=language,
        email=email,
        cardholder_name=cardholder_name,
        billing_address=address,
        delayed_capture=delayed_capture,
        moto=moto or mode == "moto_api",  # connector marks every moto_api payment as MOTO
        metadata=metadata,
        authorisation_mode=mode,
        agreement_id=agreement_id,
        set_up_agreement=set_up_agreement,
        agreement_payment_type=payment_type,
    )


def _prefilled(details: object) -> tuple[str | None, BillingAddress | None]:
    # Pay: prefilled_cardholder_details or billing_address that is not an object is ignored.
    if not isinstance(details, dict):
        return None, None
    name = _optional_text(details, "cardholder_name", "Field must be a string")
    node = details.get("billing_address")
    if not isinstance(node, dict):
        return name, None
    # The order Pay's parser reads them in, which decides which wrong type is reported first.
    parts = {part: _optional_text(node, part, "Field must be a string") for part in _ADDRESS_PARTS}
    if all(value is None for value in parts.values()):
        return name, None
    return name, BillingAddress(**parts)


def _check_prefilled(name: str | None, address: BillingAddress | None) -> None:
    _check_lengths(("cardholder_name", name, _TEXT_MAX))
    if address is None:
        return
    _check_lengths(
        ("line1", address.line1, _TEXT_MAX),
        ("line2", address.line2, _TEXT_MAX),
        ("postcode", address.postcode, 25),
        ("city", address.city, _TEXT_MAX),
    )
    # Pay: any two characters, or an empty string, pass; there is no upper-case or ISO 3166 check.
    if address.country and _java_length(address.country) != 2:
        raise invalid("country", "Must be exactly 2 characters length")


def card_number_in_reference(reference: str) -> bool:
    """Whether the reference is, or has inside it, a card number (so none is ever stored in a reference)."""
    return contains_card_number(reference)


_NO_CARD_NUMBER = "Must not contain a card number"


def _refuse_card_numbers(*fields: tuple[str, str | None]) -> None:
    """Ours, not Pay's: 422 P0102 naming the first free-text field that holds a card number.

    Pay asks this only of a payment link's reference (P0105). A card number typed into any other text
    that is stored (a description, an email address, a name, an address line) would be kept in clear,
    so it is refused the same way as the field's other value errors. Metadata and user identifiers are
    not asked: they often hold long order or account numbers, one in ten of which passes the checks.
    """
    for name, text in fields:
        if text and contains_card_number(text):
            raise invalid(name, _NO_CARD_NUMBER)


# The return_url check of connector's ReturnUrlValidator (Apache commons-validator's UrlValidator with
# http and https, local URLs and double slashes allowed, and "internal" and "local" as extra top-level
# domains). One approximation: any alphabetic top-level domain passes, where Apache checks IANA's list.
_URL = re.compile(r"([^:/?#]+):(?://([^/?#]*))?([^?#]*)(?:\?[^#]*)?(?:#.*)?", re.DOTALL)
_URI_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'();/?:@&=+$,%#[]")
_AUTHORITY = re.compile(
    r"(?:\[([0-9a-fA-F:.]+)\]|(?:[a-zA-Z0-9%\-._~!$&'()*+,;=]+(?::[a-zA-Z0-9%\-._~!$&'()*+,;=]*)?@)?"
    r"([a-zA-Z0-9\-.]*))(?::([0-9]*))?(.*)",
    re.DOTALL,
)
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_DOMAIN = re.compile(rf"(?:{_LABEL}\.)+([a-zA-Z](?:[a-zA-Z0-9-]{{0,61}}[a-zA-Z0-9])?)\.?")
_HOSTNAME = re.compile(_LABEL)
_PATH = re.compile(r"(/[-a-zA-Z0-9_:@&?=+,.!/~*'%$;()]*)?")


def _valid_url(url: str) -> bool:
    # java.net.URI parses the whole string first: only URI characters and well-formed escapes.
    if any(
        (ch not in _URI_ASCII) if ch.isascii() else ("\x80" <= ch <= "\x9f" or unicodedata.category(ch)[0] == "Z")
        for ch in url
    ):
        return False
    if re.search(r"%(?![0-9a-fA-F]{2})", url) or url.count("#") > 1:
        return False
    parts = _URL.fullmatch(url)
    if parts is None:
        return False
    scheme, authority, path = parts.group(1), parts.group(2), parts.group(3)
    if scheme.lower() not in ("http", "https") or authority is None or not _valid_authority(authority):
        return False
    return _PATH.fullmatch(path) is not None and not re.match(r"/\.\.(/|$)", _normalised(path))


def _valid_authority(authority: str) -> bool:
    try:
        ascii_authority = ".".join(
            label.encode("idna").decode("ascii") if not label.isascii() else label for label in authority.split(".")
        )
    except UnicodeError:
        return False
    match = _AUTHORITY.fullmatch(ascii_authority)
    if match is None or match.group(4).strip():
        return False
    ipv6, host, port = match.group(1), match.group(2), match.group(3)
    if ipv6 is not None:
        try:
            ipaddress.IPv6Address(ipv6)
        except ValueError:
            return False
        return True
    if len(host) > 253:
        return False
    domain = _DOMAIN.fullmatch(host)
    if not (domain or _HOSTNAME.fullmatch(host) or _ipv4(host)):
        return False
    return not port or int(port) <= 65535


def _ipv4(host: str) -> bool:
    octets = host.split(".")
    return len(octets) == 4 and all(o.isascii() and o.isdigit() and len(o) <= 3 and int(o) <= 255 for o in octets)


def _normalised(path: str) -> str:
    """RFC 2396 dot-segment removal, to spot a path that climbs above the root."""
    out: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if out and out[-1] != "..":
                out.pop()
            else:
                out.append("..")
        elif segment != ".":
            out.append(segment)
    return "/" + "/".join(out)


def parse_create_refund(body: object) -> CreateRefund:
    """A POST /v1/payments/{id}/refunds body: 400 P0601 missing, 400/422 P0602 invalid."""
    fields = _fields(body)
    amount = _amount(fields, "P0601", "P0602")
    available = fields.get("refund_amount_available", _ABSENT)
    refund_amount_available = None if available is _ABSENT else _java_as_int(available)
    if amount < 1:
        raise invalid("amount", "Must be greater than or equal to 1", "P0602")
    if amount > _AMOUNT_MAX:
        raise invalid("amount", f"Must be less than or equal to {_AMOUNT_MAX}", "P0602")
    return CreateRefund(amount=amount, refund_amount_available=refund_amount_available)


_JAVA_DOUBLE = re.compile(r"[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?)")


def _java_as_int(value: object) -> int:
    """Jackson's lenient JsonNode.asInt(), which Pay applies to refund_amount_available: it never refuses.

    Pay: so null, objects, arrays and unparsable strings give 0, booleans 1 or 0, fractions are cut towards
    zero, numeric strings are parsed, and numbers outside 32 bits wrap or saturate as Java's casts do.
    """
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return (value - _INT32_MIN) % 2**32 + _INT32_MIN
    if isinstance(value, float):
        return _saturate(value)
    if not isinstance(value, str):
        return 0
    text = value.strip(_JAVA_TRIMMED)
    text = text[1:] if text.startswith("+") else text
    if re.fullmatch(r"-?[0-9]+", text):
        number = int(text)
        return number if _INT32_MIN <= number <= _INT32_MAX else 0
    return _saturate(float(text.rstrip("fFdD"))) if _JAVA_DOUBLE.fullmatch(text) else 0


_JAVA_TRIMMED = "".join(chr(code) for code in range(33))  # String.trim() drops every char up to U+0020


def _saturate(number: float) -> int:
    if number != number:  # NaN
        return 0
    return int(max(_INT32_MIN, min(_INT32_MAX, number)))


def parse_create_agreement(body: object) -> CreateAgreement:
    """A POST /v1/agreements body.

    Pay: the parser's errors carry the agreement codes (400 P2101 missing, 400 P2102 wrong type or a
    refused character), but lengths go through the shared bean validation, which answers 422 P0102.
    """
    fields = _fields(body)
    reference = _required_text(fields, "reference", "P2101", "P2102")
    description = _required_text(fields, "description", "P2101", "P2102")
    user_identifier = _optional_text(fields, "user_identifier", "Field must be a string", "P2102")
    for name, value in (("reference", reference), ("description", description), ("user_identifier", user_identifier)):
        if value is not None and not 1 <= _java_length(value) <= _TEXT_MAX:
            # Pay: an empty user_identifier fails here too, with the same "less than" text.
            raise invalid(name, _LENGTH.format(max=_TEXT_MAX))
    _refuse_card_numbers(("reference", reference), ("description", description))
    return CreateAgreement(reference=reference, description=description, user_identifier=user_identifier)


def parse_idempotency_key(value: str | None) -> str | None:
    """The optional Idempotency-Key header: 1-255 letters, digits and hyphens, else 422 P0102 on the header."""
    if value is None:
        return None
    # Pay: Java reports one of the two violations from a hash set; we report the length first.
    if not 1 <= _java_length(value) <= 255:
        problem = "can have a size between 1 and 255"
    elif not _IDEMPOTENCY_KEY.fullmatch(value):
        problem = "can only contain alphanumeric characters and hyphens"
    else:
        return value
    raise PayError(422, "P0102", f"Header [Idempotency-Key] {problem}", header="Idempotency-Key")


# Searches. Pay checks every parameter, then answers once with 422 and the names of *all* the bad ones in the
# order its validators run (PaymentSearchValidator, RefundSearchValidator, AgreementSearchValidator and
# DisputeSearchValidator, sharing SearchValidator). Pay's rules, which our notes did not all spell out:
# - an empty or blank parameter counts as absent, never as invalid;
# - dates are any ISO 8601 zoned date-time Java's ZonedDateTime.parse accepts (seconds and fractions
#   optional, an offset or Z required, an optional [Region/Zone]), converted to UTC; settled dates are
#   YYYY-MM-DD;
# - page and display_size must be ASCII digits; a number too big for Java's int makes Integer.parseInt throw,
#   and Pay then stops and names only the parameters it had found bad before (possibly none);
# - card_brand is checked only for length (at most 20), not against a list;
# - unknown parameters are ignored, except on /v1/agreements, where one with a value is a 400 P2401.

_PAYMENT_STATES = ("created", "started", "submitted", "success", "failed", "cancelled", "error")
_AGREEMENT_STATUSES = ("created", "active", "inactive", "cancelled")
# Pay: DisputeSearchValidator also accepts "created", which the published spec does not list.
_DISPUTE_STATUSES = ("created", "needs_response", "under_review", "lost", "won")
_AGREEMENT_PARAMETERS = frozenset({"reference", "status", "page", "display_size"})
_ZONED = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:\d{2}(?::\d{2})?)(?:\[([^\]]+)\])?",
    re.IGNORECASE | re.ASCII,  # Java's ISO formatters read ASCII digits only
)
_LOCAL_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)


@dataclasses.dataclass(frozen=True)
class Paging:
    page: int = 1
    display_size: int = 500


@dataclasses.dataclass(frozen=True)
class PaymentSearch:
    reference: str | None
    email: str | None
    state: str | None
    card_brand: str | None
    from_date: datetime | None
    to_date: datetime | None
    from_settled_date: date | None
    to_settled_date: date | None
    cardholder_name: str | None
    first_digits_card_number: str | None
    last_digits_card_number: str | None
    agreement_id: str | None
    paging: Paging


@dataclasses.dataclass(frozen=True)
class RefundSearch:
    from_date: datetime | None
    to_date: datetime | None
    from_settled_date: date | None
    to_settled_date: date | None
    paging: Paging


@dataclasses.dataclass(frozen=True)
class AgreementSearch:
    reference: str | None
    status: str | None
    paging: Paging


@dataclasses.dataclass(frozen=True)
class DisputeSearch:
    from_date: datetime | None
    to_date: datetime | None
    from_settled_date: date | None
    to_settled_date: date | None
    status: str | None
    paging: Paging


class _Overflow(Exception):
    """Integer.parseInt threw: Pay stops validating and reports what it had found so far."""


def _parse_zoned(text: str) -> datetime | None:
    match = _ZONED.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset, region = match.groups()
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
        if region is not None:
            ZoneInfo(region)  # the zone must exist; the instant still comes from the offset, as in Java
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None
    nanos = int((fraction or "").ljust(9, "0"))
    shift = timedelta(0)
    if offset.upper() != "Z":
        sign = -1 if offset[0] == "-" else 1
        hours, minutes, *seconds = (int(piece) for piece in offset[1:].split(":"))
        if hours > 18 or minutes > 59 or (seconds and seconds[0] > 59):
            return None
        shift = sign * timedelta(hours=hours, minutes=minutes, seconds=seconds[0] if seconds else 0)
        if abs(shift) > timedelta(hours=18):
            return None
    try:
        aware = local.replace(tzinfo=timezone(shift)) + timedelta(microseconds=nanos // 1000)
        return aware.astimezone(UTC)
    except OverflowError:  # an instant before year 1 or after 9999 in UTC (0001-01-01T00:00+00:01): not a date
        return None


def _parse_local_date(text: str) -> date | None:
    match = _LOCAL_DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return date(*(int(piece) for piece in match.groups()))
    except ValueError:
        return None


class _Checks:
    """Pay's validators: each check records a bad parameter's name; `fail` answers with all of them."""

    def __init__(self, query: Mapping[str, str], code: str) -> None:
        self.query = query
        self.code = code
        self.bad: list[str] = []

    def fail(self) -> PayError:
        names = ", ".join(self.bad)
        return PayError(
            422, self.code, f"Invalid parameters: {names}. See Public API documentation for the correct data formats"
        )

    def given(self, name: str) -> str | None:
        value = self.query.get(name)
        return None if value is None or _is_blank(value) else value

    def text(self, name: str, limit: int | None = None) -> str | None:
        value = self.query.get(name) or None
        if value is not None and limit is not None and _java_length(value) > limit:
            self.bad.append(name)
        return value

    def choice(self, name: str, allowed: tuple[str, ...], reported_as: str | None = None) -> str | None:
        value = self.given(name)
        if value is not None and value not in allowed:
            self.bad.append(reported_as or name)
        return value

    def date_time(self, name: str) -> datetime | None:
        value = self.given(name)
        parsed = None if value is None else _parse_zoned(value)
        if value is not None and parsed is None:
            self.bad.append(name)
        return parsed

    def settled_date(self, name: str) -> date | None:
        value = self.given(name)
        parsed = None if value is None else _parse_local_date(value)
        if value is not None and parsed is None:
            self.bad.append(name)
        return parsed

    def digits(self, name: str, length: int) -> str | None:
        value = self.query.get(name) or None
        if value is None:
            return None
        digits = value.isascii() and value.isdigit()
        if len(value) != length or not (digits or _is_blank(value)):  # Pay: six spaces pass, as a blank
            self.bad.append(name)
        return value if digits else None

    def number(self, name: str, default: int, maximum: int | None = None) -> int:
        value = self.given(name)
        if value is None:
            return default
        if not re.fullmatch(r"[0-9]+", value):
            self.bad.append(name)
            return default
        if len(value.lstrip("0")) > len(str(_INT32_MAX)):
            raise _Overflow  # before int(), which is slow on thousands of digits and refuses past 4300
        number = int(value)
        if number > _INT32_MAX:
            raise _Overflow
        if number < 1 or (maximum is not None and number > maximum):
            self.bad.append(name)
            return default
        return number

    def paging(self) -> Paging:
        return Paging(page=self.number("page", 1), display_size=self.number("display_size", 500, 500))


def parse_payment_search(query: Mapping[str, str]) -> PaymentSearch:
    """GET /v1/payments: 422 P0401 naming every bad parameter."""
    checks = _Checks(query, "P0401")
    try:
        state = checks.choice("state", _PAYMENT_STATES)  # Pay: "capturable" is not accepted
        reference = checks.text("reference", 255)
        email = checks.text("email", 254)
        card_brand = checks.text("card_brand", 20)
        from_date, to_date = checks.date_time("from_date"), checks.date_time("to_date")
        paging = checks.paging()
        first_digits = checks.digits("first_digits_card_number", 6)
        last_digits = checks.digits("last_digits_card_number", 4)
        from_settled, to_settled = checks.settled_date("from_settled_date"), checks.settled_date("to_settled_date")
    except _Overflow:
        raise checks.fail() from None
    if checks.bad:
        raise checks.fail()
    return PaymentSearch(
        reference=reference,
        email=email,
        state=state,
        card_brand=card_brand,
        from_date=from_date,
        to_date=to_date,
        from_settled_date=from_settled,
        to_settled_date=to_settled,
        cardholder_name=checks.text("cardholder_name"),  # Pay: not validated
        first_digits_card_number=first_digits,
        last_digits_card_number=last_digits,
        agreement_id=checks.text("agreement_id"),  # Pay: not validated
        paging=paging,
    )


def _dates(checks: _Checks) -> tuple[datetime | None, datetime | None, date | None, date | None]:
    return (
        checks.date_time("from_date"),
        checks.date_time("to_date"),
        checks.settled_date("from_settled_date"),
        checks.settled_date("to_settled_date"),
    )


def parse_refund_search(query: Mapping[str, str]) -> RefundSearch:
    """GET /v1/refunds: 422 P1101 naming every bad parameter."""
    checks = _Checks(query, "P1101")
    try:
        from_date, to_date, from_settled, to_settled = _dates(checks)
        paging = checks.paging()
    except _Overflow:
        raise checks.fail() from None
    if checks.bad:
        raise checks.fail()
    return RefundSearch(from_date, to_date, from_settled, to_settled, paging)


def parse_agreement_search(query: Mapping[str, str]) -> AgreementSearch:
    """GET /v1/agreements: 422 P2401 naming every bad parameter, then 400 P2401 for an unknown one."""
    checks = _Checks(query, "P2401")
    try:
        status = checks.choice("status", _AGREEMENT_STATUSES)
        reference = checks.text("reference", 255)
        paging = checks.paging()
    except _Overflow:
        raise checks.fail() from None
    if checks.bad:
        raise checks.fail()
    for name, value in query.items():
        if name not in _AGREEMENT_PARAMETERS and not _is_blank(value):
            checks.bad.append(name)
            error = checks.fail()
            raise PayError(400, error.code, error.description)
    return AgreementSearch(reference=reference, status=status, paging=paging)


def parse_dispute_search(query: Mapping[str, str]) -> DisputeSearch:
    """GET /v1/disputes: 422 P0401 naming every bad parameter.

    Pay: the `status` parameter is reported as "state", the name DisputeSearchValidator gives it.
    """
    checks = _Checks(query, "P0401")
    try:
        from_date, to_date, from_settled, to_settled = _dates(checks)
        paging = checks.paging()
        status = checks.choice("status", _DISPUTE_STATUSES, reported_as="state")
    except _Overflow:
        raise checks.fail() from None
    if checks.bad:
        raise checks.fail()
    return DisputeSearch(from_date, to_date, from_settled, to_settled, status, paging)
