from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.pay.cards import (
    ALL_BRANDS,
    CardBrand,
    CardDetails,
    CardError,
    CardExpiry,
    card_type_from_bin_class,
    detect_brand,
    first_six,
    last_four,
    luhn_check_digit,
    luhn_valid,
    normalise_card_number,
    parse_mm_yy,
    validate_card_number,
    validate_cvc,
    validate_expiry,
)

B = CardBrand


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("4444333322221111", "4444333322221111"),
        ("4444 3333 2222 1111", "4444333322221111"),
        ("4444-3333-2222-1111", "4444333322221111"),
        ("  4444 - 3333 2222-1111 ", "4444333322221111"),
    ],
)
def test_card_numbers_typed_with_spaces_and_dashes_normalise_to_their_digits(typed: str, digits: str) -> None:
    assert normalise_card_number(typed) == digits


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "missing"),
        ("   ", "missing"),
        ("4444 3333 abcd 1111", "notDigits"),
        ("4444.3333.2222.1111", "notDigits"),
        ("٤٤٤٤٣٣٣٣٢٢٢٢١١١١", "notDigits"),  # Arabic-Indic digits are not card digits
    ],
)
def test_card_numbers_with_other_characters_are_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(CardError) as caught:
        normalise_card_number(typed)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("4242424242424242", True),
        ("4242424242424241", False),
        ("79927398713", True),  # the worked example in ISO/IEC 7812-1
        ("79927398710", False),
        ("0", True),
        ("", False),
        ("4242 4242 4242 4242", False),
        ("00000000000000000000", True),
    ],
)
def test_the_luhn_check_accepts_exactly_the_numbers_whose_check_digit_fits(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@given(st.text(alphabet="0123456789", min_size=1, max_size=18))
def test_any_number_completed_with_its_check_digit_passes_luhn(partial: str) -> None:
    assert luhn_valid(partial + luhn_check_digit(partial))


@given(st.text(alphabet="0123456789", min_size=1, max_size=18), st.data())
def test_changing_any_single_digit_of_a_luhn_valid_number_makes_it_fail(partial: str, data: st.DataObject) -> None:
    number = partial + luhn_check_digit(partial)
    position = data.draw(st.integers(0, len(number) - 1))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    assert not luhn_valid(changed)


def complete(prefix: str, length: int) -> str:
    partial = prefix + "0" * (length - len(prefix) - 1)
    return partial + luhn_check_digit(partial)


@pytest.mark.parametrize(
    ("prefix", "length", "brand"),
    [
        ("4", 16, B.VISA),
        ("4", 19, B.VISA),
        ("51", 16, B.MASTER_CARD),
        ("55", 16, B.MASTER_CARD),
        ("2221", 16, B.MASTER_CARD),
        ("2720", 16, B.MASTER_CARD),
        ("34", 15, B.AMERICAN_EXPRESS),
        ("37", 15, B.AMERICAN_EXPRESS),
        ("300", 14, B.DINERS_CLUB),
        ("305", 14, B.DINERS_CLUB),
        ("36", 14, B.DINERS_CLUB),
        ("6011", 16, B.DISCOVER),
        ("644", 16, B.DISCOVER),
        ("65", 19, B.DISCOVER),
        ("3528", 16, B.JCB),
        ("3589", 19, B.JCB),
        ("620", 16, B.UNIONPAY),
        ("6270", 19, B.UNIONPAY),
        ("8110", 16, B.UNIONPAY),
        ("493698", 16, B.MAESTRO),  # Maestro's six-digit prefix beats Visa's "4"
        ("5018", 12, B.MAESTRO),
        ("6759", 16, B.MAESTRO),
    ],
)
def test_brands_are_named_by_their_longest_matching_prefix(prefix: str, length: int, brand: CardBrand) -> None:
    assert validate_card_number(complete(prefix, length)).brand is brand


@pytest.mark.parametrize("prefix", ["2220", "2721", "306", "1234", "9"])
def test_numbers_just_outside_every_brand_range_have_no_brand(prefix: str) -> None:
    assert detect_brand(complete(prefix, 16)) is None


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (complete("4", 11), "numberIncorrectLength"),
        (complete("4", 20), "numberIncorrectLength"),
        ("4242424242424241", "luhnInvalid"),
        (complete("9", 16), "cardNotSupported"),
        (complete("4", 13), "numberIncorrectLength"),  # Visa has 16, 18 or 19 digits
        (complete("51", 15), "numberIncorrectLength"),
        (complete("34", 16), "numberIncorrectLength"),
        (complete("36", 15), "numberIncorrectLength"),
    ],
)
def test_card_numbers_are_refused_for_length_luhn_and_brand_in_that_order(number: str, reason: str) -> None:
    with pytest.raises(CardError) as caught:
        validate_card_number(number)
    assert caught.value.reason == reason


def test_a_brand_the_service_does_not_accept_is_refused() -> None:
    with pytest.raises(CardError) as caught:
        validate_card_number("371449635398431", accepted=ALL_BRANDS - {B.AMERICAN_EXPRESS})
    assert caught.value.reason == "cardNotSupported"
    assert validate_card_number("4242424242424242", accepted=frozenset({B.VISA})).brand is B.VISA


@pytest.mark.parametrize(
    ("code", "brand", "ok"),
    [
        ("123", B.VISA, True),
        ("1234", B.VISA, False),
        ("1234", B.AMERICAN_EXPRESS, True),
        ("123", B.AMERICAN_EXPRESS, False),
        (" 999 ", B.MASTER_CARD, True),
        ("12a", B.VISA, False),
        ("12", B.MAESTRO, False),
        ("", B.VISA, False),
    ],
)
def test_security_codes_have_four_digits_on_amex_and_three_on_every_other_brand(
    code: str, brand: CardBrand, ok: bool
) -> None:
    if ok:
        assert validate_cvc(code, brand) == code.strip()
    else:
        with pytest.raises(CardError):
            validate_cvc(code, brand)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("month", "year", "now", "expected"),
    [
        ("1", "30", utc(2026, 5, 1), CardExpiry(2030, 1)),
        ("01", "2030", utc(2026, 5, 1), CardExpiry(2030, 1)),
        ("05", "26", utc(2026, 5, 31, 22, 59), CardExpiry(2026, 5)),  # last minute of May in London (BST)
        ("12", "26", utc(2026, 12, 31, 23, 59), CardExpiry(2026, 12)),  # last minute of December, GMT
        ("02", "28", utc(2028, 2, 29, 12), CardExpiry(2028, 2)),  # leap day
    ],
)
def test_a_card_is_good_until_the_end_of_its_expiry_month_in_london(
    month: str, year: str, now: datetime, expected: CardExpiry
) -> None:
    assert validate_expiry(month, year, now) == expected


@pytest.mark.parametrize(
    ("month", "year", "now"),
    [
        ("05", "26", utc(2026, 5, 31, 23, 0)),  # 00:00 on 1 June in London, still May in UTC
        ("04", "26", utc(2026, 5, 1)),
        ("12", "25", utc(2026, 1, 1)),
        ("12", "2025", utc(2026, 1, 1)),
    ],
)
def test_a_card_whose_expiry_month_is_over_in_london_is_refused(month: str, year: str, now: datetime) -> None:
    with pytest.raises(CardError) as caught:
        validate_expiry(month, year, now)
    assert caught.value.reason == "inThePast"


def test_winter_month_ends_fall_at_midnight_utc_because_london_keeps_gmt() -> None:
    assert not CardExpiry(2026, 1).has_passed(utc(2026, 1, 31, 23, 59, 59))
    assert CardExpiry(2026, 1).has_passed(utc(2026, 2, 1, 0, 0))


@pytest.mark.parametrize(
    ("month", "year", "reason"),
    [
        ("", "30", "missing"),
        ("05", "", "missing"),
        ("0", "30", "invalidMonth"),
        ("13", "30", "invalidMonth"),
        ("005", "30", "invalidMonth"),
        ("ab", "30", "invalidMonth"),
        ("05", "3", "invalidYear"),
        ("05", "203", "invalidYear"),
        ("05", "2100", "invalidYear"),
        ("05", "0030", "invalidYear"),
        ("05", "3x", "invalidYear"),
    ],
)
def test_malformed_expiry_dates_are_refused_with_the_reason(month: str, year: str, reason: str) -> None:
    with pytest.raises(CardError) as caught:
        validate_expiry(month, year, utc(2026, 5, 1))
    assert caught.value.reason == reason


def test_the_expiry_check_needs_a_clock_with_a_time_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        CardExpiry(2030, 1).has_passed(datetime(2026, 1, 1))


@pytest.mark.parametrize(("text", "expiry"), [("04/27", CardExpiry(2027, 4)), ("12/99", CardExpiry(2099, 12))])
def test_expiry_dates_read_and_write_in_pays_mm_yy_form(text: str, expiry: CardExpiry) -> None:
    assert parse_mm_yy(text) == expiry
    assert expiry.mm_yy == text


@pytest.mark.parametrize("text", ["4/27", "04-27", "13/27", "00/27", "04/2027", "ab/cd"])
def test_malformed_mm_yy_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="MM/YY"):
        parse_mm_yy(text)


def test_only_the_first_six_and_last_four_digits_are_extracted() -> None:
    assert first_six("4917610000000000003") == "491761"
    assert last_four("4917610000000000003") == "0003"


@pytest.mark.parametrize(
    ("bin_class", "card_type"), [("C", "credit"), ("D", "debit"), ("F", "debit"), ("CD", None), (" cd ", None)]
)
def test_bin_file_classes_map_to_pays_card_type(bin_class: str, card_type: str | None) -> None:
    assert card_type_from_bin_class(bin_class) == card_type


def test_an_unknown_bin_file_class_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown"):
        card_type_from_bin_class("X")


def test_card_details_never_show_the_full_number_or_the_security_code() -> None:
    details = CardDetails(
        number=validate_card_number("4000 0566 5566 5556"),
        cvc="987",
        expiry=CardExpiry(2030, 4),
        cardholder_name="Ada Lovelace",
    )
    for text in (repr(details), str(details), f"{details}", repr([details]), repr(details.number)):
        assert "4000056655665556" not in text
        assert "987" not in text
    assert "400005" in repr(details) and "5556" in repr(details) and "04/30" in repr(details)
    assert (details.brand, details.first_six, details.last_four) == (B.VISA, "400005", "5556")
