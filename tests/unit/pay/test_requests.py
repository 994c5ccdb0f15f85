from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from govplatform.pay.errors import PayError
from govplatform.pay.requests import (
    AgreementSearch,
    BillingAddress,
    CreateAgreement,
    CreatePayment,
    CreateRefund,
    DisputeSearch,
    Paging,
    RefundSearch,
    parse_agreement_search,
    parse_create_agreement,
    parse_create_payment,
    parse_create_refund,
    parse_dispute_search,
    parse_idempotency_key,
    parse_payment_search,
    parse_refund_search,
)

RETURN_URL = "https://service.gov.uk/pay/return"
AGREEMENT_ID = "abcdefghijklmnopqrstuvwxyz"
BASE = {"amount": 1000, "reference": "ref-1", "description": "A licence", "return_url": RETURN_URL}
SEARCH_HELP = "See Public API documentation for the correct data formats"
MOTO_TEXT = (
    "MOTO payments are not enabled for this account. Please contact support if you would like to process "
    "MOTO payments - https://www.payments.service.gov.uk/support/ ."
)


def error_of(parse: Callable[[], object]) -> tuple[int, str, str | None, str]:
    with pytest.raises(PayError) as caught:
        parse()
    error = caught.value
    return error.status_code, error.code, error.field, error.description


def body(**changes: Any) -> dict[str, Any]:
    """BASE with some attributes replaced; a value of ... removes the attribute."""
    result = {**BASE, **changes}
    return {name: value for name, value in result.items() if value is not ...}


def agreement_body(**changes: Any) -> dict[str, Any]:
    return body(**{"return_url": ..., "authorisation_mode": "agreement", "agreement_id": AGREEMENT_ID, **changes})


def invalid(field: str, reason: str, status: int = 422) -> tuple[int, str, str | None, str]:
    return status, "P0102", field, f"Invalid attribute value: {field}. {reason}"


def search_error(code: str, names: str, status: int = 422) -> tuple[int, str, None, str]:
    return status, code, None, f"Invalid parameters: {names}. {SEARCH_HELP}"


# Create payment: the happy paths


def test_a_minimal_web_payment_takes_pays_defaults() -> None:
    assert parse_create_payment(dict(BASE), live=False) == CreatePayment(
        amount=1000, reference="ref-1", description="A licence", return_url=RETURN_URL
    )


def test_a_full_web_payment_keeps_every_attribute() -> None:
    request = parse_create_payment(
        body(
            language="cy",
            email="someone@example.org",
            delayed_capture=True,
            moto=True,
            metadata={"ledger": "AB12", "count": 3, "ratio": 1.5, "reconciled": False},
            prefilled_cardholder_details={
                "cardholder_name": "J. Bloggs",
                "billing_address": {"line1": "1 High St", "city": "Leeds", "postcode": "LS1 1AA", "country": "GB"},
            },
        ),
        live=True,
        moto_enabled=True,
        return_url_prefixes=("https://service.gov.uk/",),
    )
    assert request.language == "cy"
    assert request.email == "someone@example.org"
    assert request.delayed_capture is True
    assert request.moto is True
    assert request.metadata == {"ledger": "AB12", "count": 3, "ratio": 1.5, "reconciled": False}
    assert request.cardholder_name == "J. Bloggs"
    assert request.billing_address == BillingAddress("1 High St", None, "Leeds", "LS1 1AA", "GB")


def test_a_billing_address_shows_only_the_lines_it_was_given() -> None:
    address = BillingAddress(line1="1 High St", line2=None, city=None, postcode="LS1 1AA", country=None)
    assert address.to_api() == {"line1": "1 High St", "postcode": "LS1 1AA"}


def test_an_agreement_payment_needs_no_return_url_and_defaults_to_recurring() -> None:
    request = parse_create_payment(agreement_body(), live=True)
    assert (request.authorisation_mode, request.agreement_id, request.return_url) == ("agreement", AGREEMENT_ID, None)
    assert request.agreement_payment_type == "recurring"


def test_a_payment_that_sets_up_an_agreement_keeps_its_payment_type() -> None:
    request = parse_create_payment(body(set_up_agreement=AGREEMENT_ID, agreement_payment_type="instalment"), live=False)
    assert (request.set_up_agreement, request.agreement_payment_type) == (AGREEMENT_ID, "instalment")


def test_a_moto_api_payment_is_marked_as_moto_and_has_no_return_url() -> None:
    request = parse_create_payment(body(return_url=..., authorisation_mode="moto_api"), live=True, moto_enabled=True)
    assert (request.authorisation_mode, request.moto, request.return_url) == ("moto_api", True, None)


@pytest.mark.parametrize(
    "changes",
    [
        {"return_url": "http://localhost:3000/return"},
        {"return_url": "http://service.internal/return?x=1#top"},
        {"email": None, "return_url": "https://[::1]/x"},
        {"metadata": {}},
        {"unknown_attribute": [1, 2], "internal": {"source": "CARD_PAYMENT_LINK"}},
        {"set_up_agreement": 42},
        {"prefilled_cardholder_details": "ignored", "reference": "1234 5678 9012"},
        {"prefilled_cardholder_details": {"billing_address": {"country": ""}}},
    ],
)
def test_test_accounts_accept_what_pay_accepts(changes: dict[str, Any]) -> None:
    parse_create_payment(body(**changes), live=False)


def test_a_zero_amount_is_accepted_where_the_account_allows_it() -> None:
    assert parse_create_payment(body(amount=0), live=False, allow_zero_amount=True).amount == 0


# Create payment: every refusal, with Pay's status, code, field and words


BAD_PAYMENTS: list[tuple[object, dict[str, Any], tuple[int, str, str | None, str]]] = [
    ([1, 2], {}, (400, "P0101", "amount", "Missing mandatory attribute: amount")),
    (body(amount=...), {}, (400, "P0101", "amount", "Missing mandatory attribute: amount")),
    (body(amount=None), {}, (400, "P0101", "amount", "Missing mandatory attribute: amount")),
    (body(amount="100"), {}, invalid("amount", "Must be a valid numeric format", 400)),
    (body(amount=100.0), {}, invalid("amount", "Must be a valid numeric format", 400)),
    (body(amount=True), {}, invalid("amount", "Must be a valid numeric format", 400)),
    (body(amount=2**31), {}, invalid("amount", "Must be a valid numeric format", 400)),
    (body(amount=-1), {}, invalid("amount", "Must be greater than or equal to 1")),
    (body(amount=0), {}, invalid("amount", "Must be greater than or equal to 1")),
    (body(amount=10_000_001), {}, invalid("amount", "Must be less than or equal to 10000000")),
    (body(amount="x", reference=...), {}, invalid("amount", "Must be a valid numeric format", 400)),
    (body(reference=...), {}, (400, "P0101", "reference", "Missing mandatory attribute: reference")),
    (body(reference=" \t"), {}, (400, "P0101", "reference", "Missing mandatory attribute: reference")),
    (body(reference=5), {}, invalid("reference", "Must be a valid string format", 400)),
    (body(reference="a <b>"), {}, invalid("reference", "Must be a valid string format", 400)),
    (body(reference="x" * 256), {}, invalid("reference", "Must be less than or equal to 255 characters length")),
    (body(reference="😀" * 128), {}, invalid("reference", "Must be less than or equal to 255 characters length")),
    (body(description=None), {}, (400, "P0101", "description", "Missing mandatory attribute: description")),
    (body(description="a|b"), {}, invalid("description", "Must be a valid string format", 400)),
    (body(description="d" * 256), {}, invalid("description", "Must be less than or equal to 255 characters length")),
    (body(return_url=7), {}, invalid("return_url", "Must be a valid URL format", 400)),
    (body(return_url=...), {}, (400, "P0101", None, "Missing mandatory attribute: return_url")),
    (body(return_url=None), {}, (400, "P0101", None, "Missing mandatory attribute: return_url")),
    (body(return_url=""), {}, (400, "P0101", None, "Missing mandatory attribute: return_url")),
    (
        body(return_url="not.a.valid.url"),
        {},
        (422, "P0102", None, "Invalid attribute value: return_url. Must be a valid URL format"),
    ),
    (
        body(return_url="https://service.gov.uk/a b"),
        {},
        (422, "P0102", None, "Invalid attribute value: return_url. Must be a valid URL format"),
    ),
    (
        body(return_url="https://x.gov.uk/" + "a" * 1984),
        {},
        invalid("return_url", "Must be less than or equal to 2000 characters length"),
    ),
    (body(moto="yes"), {}, invalid("moto", "Must be true or false", 400)),
    (body(moto=None), {}, invalid("moto", "Must be true or false", 400)),
    (body(moto=True), {}, (422, "P0196", None, MOTO_TEXT)),
    (body(delayed_capture="true"), {}, invalid("delayed_capture", "Must be true or false", 400)),
    (body(language="fr"), {}, invalid("language", 'Must be "en" or "cy"')),
    (body(language="EN"), {}, invalid("language", 'Must be "en" or "cy"')),
    (body(language=1), {}, invalid("language", 'Must be "en" or "cy"', 400)),
    (body(email=5), {}, invalid("email", "Field must be a string", 400)),
    (body(email="e" * 255), {}, invalid("email", "Must be less than or equal to 254 characters length")),
    (
        body(authorisation_mode="external"),
        {},
        invalid("authorisation_mode", "Must be one of web, moto_api, agreement"),
    ),
    (
        body(authorisation_mode=None),
        {},
        invalid("authorisation_mode", "Must be one of web, moto_api, agreement", 400),
    ),
    (
        body(return_url=..., authorisation_mode="moto_api"),
        {},
        (422, "P0195", None, "Using authorisation_mode of moto_api is not allowed for this account"),
    ),
    (
        body(authorisation_mode="moto_api"),
        {"moto_enabled": True},
        (400, "P0104", None, "Unexpected attribute: return_url"),
    ),
    (body(agreement_id=AGREEMENT_ID), {}, (400, "P0104", None, "Unexpected attribute: agreement_id")),
    (agreement_body(agreement_id=...), {}, (400, "P0101", None, "Missing mandatory attribute: agreement_id")),
    (
        agreement_body(agreement_id=None),
        {},
        (400, "P0101", "agreement_id", "Missing mandatory attribute: agreement_id"),
    ),
    (agreement_body(agreement_id=12), {}, invalid("agreement_id", "Must be a valid string format", 400)),
    (agreement_body(agreement_id="short"), {}, invalid("agreement_id", "Field [agreement_id] length must be 26")),
    (agreement_body(return_url=RETURN_URL), {}, (400, "P0104", None, "Unexpected attribute: return_url")),
    (agreement_body(email="a@b.c"), {}, (400, "P0104", None, "Unexpected attribute: email")),
    (agreement_body(moto=True), {}, (400, "P0104", None, "Unexpected attribute: moto")),
    (
        agreement_body(prefilled_cardholder_details={"cardholder_name": "J"}),
        {},
        (400, "P0104", None, "Unexpected attribute: prefilled_cardholder_details"),
    ),
    (
        agreement_body(set_up_agreement=AGREEMENT_ID),
        {},
        (400, "P0104", None, "Unexpected attribute: set_up_agreement"),
    ),
    (
        body(agreement_payment_type="recurring"),
        {},
        (400, "P0104", None, "Unexpected attribute: agreement_payment_type"),
    ),
    (
        body(agreement_payment_type=3),
        {},
        invalid("agreement_payment_type", "Must be one of instalment, recurring, unscheduled", 400),
    ),
    (
        body(set_up_agreement=AGREEMENT_ID, agreement_payment_type="monthly"),
        {},
        invalid("agreement_payment_type", "Must be one of instalment, recurring, unscheduled"),
    ),
    (body(set_up_agreement="short"), {}, invalid("set_up_agreement", "Field [set_up_agreement] length must be 26")),
    (
        body(prefilled_cardholder_details={"cardholder_name": 5}),
        {},
        invalid("cardholder_name", "Field must be a string", 400),
    ),
    (
        body(prefilled_cardholder_details={"cardholder_name": "n" * 256}),
        {},
        invalid("cardholder_name", "Must be less than or equal to 255 characters length"),
    ),
    (
        body(prefilled_cardholder_details={"billing_address": {"line1": "l" * 256}}),
        {},
        invalid("line1", "Must be less than or equal to 255 characters length"),
    ),
    (
        body(prefilled_cardholder_details={"billing_address": {"postcode": "p" * 26}}),
        {},
        invalid("postcode", "Must be less than or equal to 25 characters length"),
    ),
    (
        body(prefilled_cardholder_details={"billing_address": {"country": "GBR"}}),
        {},
        invalid("country", "Must be exactly 2 characters length"),
    ),
    (
        body(prefilled_cardholder_details={"billing_address": {"country": 44}}),
        {},
        invalid("country", "Field must be a string", 400),
    ),
    (body(metadata=None), {}, invalid("metadata", "Value must not be null")),
    (body(metadata=["a"]), {}, invalid("metadata", "Must be an object of JSON key-value pairs")),
    (
        body(metadata={f"key{n}": n for n in range(16)}),
        {},
        invalid("metadata", "Cannot have more than 15 key-value pairs"),
    ),
    (body(metadata={"": "v"}), {}, invalid("metadata", "Keys must be between 1 and 30 characters long")),
    (body(metadata={"k" * 31: "v"}), {}, invalid("metadata", "Keys must be between 1 and 30 characters long")),
    (body(metadata={"k": {}}), {}, invalid("metadata", "Values must be of type String, Boolean or Number")),
    (body(metadata={"k": "v" * 101}), {}, invalid("metadata", "Values must be no greater than 100 characters long")),
    (body(metadata={"k": None}), {}, invalid("metadata", "Must not have null values")),
    (body(metadata={"key": 1, "KEY": 2}), {}, invalid("metadata", "Must have case insensitive unique keys")),
    (
        body(metadata={"": [], "k": None}),
        {},
        invalid(
            "metadata",
            "Keys must be between 1 and 30 characters long. Values must be of type String, Boolean or Number. "
            "Must not have null values",
        ),
    ),
    (
        body(reference="4242 4242 4242 4242"),
        {},
        (400, "P0105", None, "Card number entered in a payment link reference"),
    ),
    (
        body(reference="4444-3333-2222-1111"),
        {},
        (400, "P0105", None, "Card number entered in a payment link reference"),
    ),
    (
        body(return_url="http://service.gov.uk/return"),
        {"live": True},
        (
            422,
            "P0920",
            "return_url",
            "Invalid attribute value: return_url. Must begin with https:// for a live gateway account",
        ),
    ),
    (
        dict(BASE),
        {"live": True, "return_url_prefixes": ("https://other.gov.uk/",)},
        invalid("return_url", "Must start with one of the return URL prefixes set for this service"),
    ),
]


@pytest.mark.parametrize(("payload", "options", "expected"), BAD_PAYMENTS)
def test_a_bad_payment_is_refused_as_pay_refuses_it(
    payload: object, options: dict[str, Any], expected: tuple[int, str, str | None, str]
) -> None:
    options = {"live": False, **options}
    assert error_of(lambda: parse_create_payment(payload, **options)) == expected


def test_a_wrong_json_type_is_reported_before_a_length_that_is_too_long() -> None:
    payload = body(reference="x" * 300, moto="no")
    assert error_of(lambda: parse_create_payment(payload, live=False)) == invalid("moto", "Must be true or false", 400)


def test_a_refused_error_has_no_field_in_its_body_when_pay_gives_none() -> None:
    with pytest.raises(PayError) as caught:
        parse_create_payment(body(return_url=...), live=False)
    assert caught.value.body() == {"code": "P0101", "description": "Missing mandatory attribute: return_url"}


# Refunds


def test_a_refund_reads_its_amount_and_leaves_the_available_amount_unset() -> None:
    assert parse_create_refund({"amount": 150}) == CreateRefund(amount=150, refund_amount_available=None)


@pytest.mark.parametrize(
    ("available", "expected"),
    [
        (500, 500),
        ("500", 500),
        (" 42 ", 42),
        ("+7", 7),
        ("1e3", 1000),
        (1.9, 1),
        (True, 1),
        (None, 0),
        ("abc", 0),
        ([], 0),
        (2**32 + 5, 5),
        ("99999999999", 0),
    ],
)
def test_the_available_amount_is_read_as_leniently_as_pay_reads_it(available: object, expected: int) -> None:
    refund = parse_create_refund({"amount": 1, "refund_amount_available": available})
    assert refund.refund_amount_available == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, (400, "P0601", "amount", "Missing mandatory attribute: amount")),
        ("100", (400, "P0601", "amount", "Missing mandatory attribute: amount")),
        (
            {"amount": "100"},
            (400, "P0602", "amount", "Invalid attribute value: amount. Must be a valid numeric format"),
        ),
        (
            {"amount": 0},
            (422, "P0602", "amount", "Invalid attribute value: amount. Must be greater than or equal to 1"),
        ),
        (
            {"amount": 10_000_001},
            (422, "P0602", "amount", "Invalid attribute value: amount. Must be less than or equal to 10000000"),
        ),
    ],
)
def test_a_bad_refund_is_refused_as_pay_refuses_it(payload: object, expected: tuple[int, str, str, str]) -> None:
    assert error_of(lambda: parse_create_refund(payload)) == expected


# Agreements


def test_an_agreement_reads_its_reference_description_and_user() -> None:
    assert parse_create_agreement({"reference": "r", "description": "d", "user_identifier": "u1"}) == CreateAgreement(
        "r", "d", "u1"
    )
    assert (
        parse_create_agreement({"reference": "r", "description": "d", "user_identifier": None}).user_identifier is None
    )


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, (400, "P2101", "reference", "Missing mandatory attribute: reference")),
        ({"reference": "", "description": "d"}, (400, "P2101", "reference", "Missing mandatory attribute: reference")),
        ({"reference": "r"}, (400, "P2101", "description", "Missing mandatory attribute: description")),
        (
            {"reference": 1, "description": "d"},
            (400, "P2102", "reference", "Invalid attribute value: reference. Must be a valid string format"),
        ),
        (
            {"reference": "r", "description": "<script>"},
            (400, "P2102", "description", "Invalid attribute value: description. Must be a valid string format"),
        ),
        (
            {"reference": "r", "description": "d", "user_identifier": 5},
            (400, "P2102", "user_identifier", "Invalid attribute value: user_identifier. Field must be a string"),
        ),
        (
            {"reference": "r" * 256, "description": "d"},
            invalid("reference", "Must be less than or equal to 255 characters length"),
        ),
        (
            {"reference": "r", "description": "d", "user_identifier": ""},
            invalid("user_identifier", "Must be less than or equal to 255 characters length"),
        ),
    ],
)
def test_a_bad_agreement_is_refused_as_pay_refuses_it(payload: object, expected: tuple[int, str, str, str]) -> None:
    assert error_of(lambda: parse_create_agreement(payload)) == expected


# Idempotency-Key


@pytest.mark.parametrize("key", [None, "a", "abc-123-XYZ", "k" * 255])
def test_a_good_idempotency_key_is_kept(key: str | None) -> None:
    assert parse_idempotency_key(key) == key


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "can have a size between 1 and 255"),
        ("k" * 256, "can have a size between 1 and 255"),
        ("123$@!?", "can only contain alphanumeric characters and hyphens"),
        ("snow☃man", "can only contain alphanumeric characters and hyphens"),
    ],
)
def test_a_bad_idempotency_key_is_refused_on_the_header(key: str, problem: str) -> None:
    with pytest.raises(PayError) as caught:
        parse_idempotency_key(key)
    assert caught.value.body() == {
        "header": "Idempotency-Key",
        "code": "P0102",
        "description": f"Header [Idempotency-Key] {problem}",
    }
    assert caught.value.status_code == 422


# Searches


def test_an_empty_payment_search_pages_by_pays_defaults() -> None:
    search = parse_payment_search({})
    assert search.paging == Paging(page=1, display_size=500)
    assert search.state is None and search.from_date is None


def test_a_payment_search_reads_every_filter() -> None:
    search = parse_payment_search(
        {
            "reference": "ref-1",
            "email": "@example.org",
            "state": "success",
            "card_brand": "visa",
            "from_date": "2015-08-14T12:35:00Z",
            "to_date": "2015-08-14t13:35:00.5+01:00[Europe/London]",
            "from_settled_date": "2020-02-29",
            "to_settled_date": "2020-03-01",
            "cardholder_name": "Bloggs",
            "first_digits_card_number": "424242",
            "last_digits_card_number": "4242",
            "agreement_id": AGREEMENT_ID,
            "page": "2",
            "display_size": "50",
        }
    )
    assert search.from_date == datetime(2015, 8, 14, 12, 35, tzinfo=UTC)
    assert search.to_date == datetime(2015, 8, 14, 12, 35, 0, 500000, tzinfo=UTC)
    assert (search.from_settled_date, search.to_settled_date) == (date(2020, 2, 29), date(2020, 3, 1))
    assert (search.first_digits_card_number, search.last_digits_card_number) == ("424242", "4242")
    assert (search.reference, search.email, search.card_brand, search.cardholder_name) == (
        "ref-1",
        "@example.org",
        "visa",
        "Bloggs",
    )
    assert search.paging == Paging(page=2, display_size=50)


def test_blank_search_parameters_count_as_absent() -> None:
    search = parse_payment_search({"state": " ", "from_date": "", "page": "", "reference": "", "display_size": " "})
    assert (search.state, search.from_date, search.reference, search.paging) == (None, None, None, Paging())


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"state": "capturable"}, "state"),
        ({"reference": "r" * 256}, "reference"),
        ({"email": "e" * 255}, "email"),
        ({"card_brand": "c" * 21}, "card_brand"),
        ({"from_date": "2020-01-01"}, "from_date"),
        ({"to_date": "2016-01-25T13-23:55Z"}, "to_date"),
        ({"to_date": "2016-02-30T10:00:00Z"}, "to_date"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"display_size": "501"}, "display_size"),
        ({"first_digits_card_number": "12345"}, "first_digits_card_number"),
        ({"last_digits_card_number": "12a4"}, "last_digits_card_number"),
        ({"from_settled_date": "2020/01/01"}, "from_settled_date"),
        ({"from_settled_date": "٢٠٢٠-٠١-٠١"}, "from_settled_date"),
        (
            {
                "to_settled_date": "01-01-2020",
                "display_size": "0",
                "first_digits_card_number": "12",
                "state": "x",
                "from_date": "yesterday",
            },
            "state, from_date, display_size, first_digits_card_number, to_settled_date",
        ),
        ({"state": "x", "page": "99999999999", "display_size": "0"}, "state"),
        ({"page": "99999999999"}, ""),
    ],
)
def test_a_bad_payment_search_names_every_bad_parameter_in_pays_order(query: dict[str, str], names: str) -> None:
    assert error_of(lambda: parse_payment_search(query)) == search_error("P0401", names)


def test_a_refund_search_reads_dates_and_paging() -> None:
    assert parse_refund_search({"from_settled_date": "2021-01-01", "display_size": "10"}) == RefundSearch(
        None, None, date(2021, 1, 1), None, Paging(1, 10)
    )


def test_a_bad_refund_search_is_refused_with_p1101() -> None:
    query = {"page": "one", "to_date": "2021-13-01T00:00:00Z", "from_settled_date": "2021-01-01T00:00:00Z"}
    assert error_of(lambda: parse_refund_search(query)) == search_error("P1101", "to_date, from_settled_date, page")


def test_an_agreement_search_reads_reference_status_and_paging() -> None:
    assert parse_agreement_search({"reference": "r", "status": "active", "page": "3", "other": ""}) == AgreementSearch(
        "r", "active", Paging(3, 500)
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "ACTIVE"}, search_error("P2401", "status")),
        ({"reference": "r" * 256, "status": "expired", "page": "x"}, search_error("P2401", "status, reference, page")),
        ({"foo": "bar"}, search_error("P2401", "foo", 400)),
        ({"foo": "bar", "status": "nope"}, search_error("P2401", "status")),
    ],
)
def test_a_bad_agreement_search_is_refused_as_pay_refuses_it(
    query: dict[str, str], expected: tuple[int, str, None, str]
) -> None:
    assert error_of(lambda: parse_agreement_search(query)) == expected


def test_a_dispute_search_reads_its_status() -> None:
    assert parse_dispute_search({"status": "needs_response", "to_date": "2022-07-22T12:23:55Z"}) == DisputeSearch(
        None, datetime(2022, 7, 22, 12, 23, 55, tzinfo=UTC), None, None, "needs_response", Paging()
    )


def test_a_bad_dispute_status_is_reported_under_pays_name_for_it() -> None:
    query = {"status": "blew it", "page": "0", "from_date": "alpha"}
    assert error_of(lambda: parse_dispute_search(query)) == search_error("P0401", "from_date, page, state")
