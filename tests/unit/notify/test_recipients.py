import dataclasses

import pytest

from govplatform.notify.recipients import (
    PHONE_ERROR_MESSAGES,
    InvalidEmailError,
    InvalidPhoneError,
    InvalidRecipientError,
    PhoneErrorCode,
    PhoneNumber,
    validate_email_address,
    validate_phone_number,
)

NOT_AN_EMAIL = "Not a valid email address"
NOT_ENOUGH_DIGITS = "Not enough digits"
TOO_MANY_DIGITS = "Too many digits"
NOT_A_UK_MOBILE = "Not a UK mobile number"
LETTERS_OR_SYMBOLS = "Must not contain letters or symbols"
NOT_A_COUNTRY_PREFIX = "Not a valid country prefix"
NOT_VALID = "Number is not valid – double check the phone number you entered"


def phone_error(value: str, **permissions: bool) -> InvalidPhoneError:
    with pytest.raises(InvalidPhoneError) as caught:
        validate_phone_number(value, **permissions)
    return caught.value


# ---------------------------------------------------------------- email


@pytest.mark.parametrize(
    "address",
    [
        "email@domain.com",
        "email@domain.COM",
        "firstname.lastname@domain.com",
        "firstname.o'lastname@domain.com",
        "email@subdomain.domain.com",
        "firstname+lastname@domain.com",
        "1234567890@domain.com",
        "email@domain-one.com",
        "_______@domain.com",
        "email@domain.name",
        "email@domain.superlongtld",
        "email@domain.co.jp",
        "firstname-lastname@domain.com",
        "email@double--hyphen.com",
        "odd!#$%&*/=?^_`{|}~-chars@domain.com",
        "info@financial-services.vermögensberatung",
        "japanese-info@例え.テスト",
        "punycode-tld@domain.xn--p1ai",
    ],
)
def test_a_valid_email_address_is_returned_unchanged(address: str) -> None:
    assert validate_email_address(address) == address


@pytest.mark.parametrize(
    "address",
    [
        "simulate-delivered@notifications.service.gov.uk",
        "simulate-delivered-2@notifications.service.gov.uk",
        "simulate-delivered-3@notifications.service.gov.uk",
        "perm-fail@simulator.notify",
        "temp-fail@simulator.notify",
    ],
)
def test_the_smoke_test_and_simulated_failure_addresses_are_valid(address: str) -> None:
    assert validate_email_address(address) == address


@pytest.mark.parametrize(
    "address",
    [
        " email@domain.com ",
        "\temail@domain.com\n",
        "\u200bemail@domain.com\u200b",
        "email@\u00a0domain.com",
        "\ufeffemail@domain\u2060.com\u2028",
    ],
)
def test_surrounding_whitespace_and_invisible_characters_anywhere_are_removed(address: str) -> None:
    assert validate_email_address(address) == "email@domain.com"


def test_the_case_of_an_email_address_is_kept() -> None:
    assert validate_email_address("First.Last@Example.GOV.UK") == "First.Last@Example.GOV.UK"


@pytest.mark.parametrize(
    "address",
    [
        "",
        "plainaddress",
        "@no-local-part.com",
        "no-at.domain.com",
        "no-tld@domain",
        "Outlook Contact <outlook-contact@domain.com>",
        "email@123.123.123.123",
        "email@[123.123.123.123]",
        ";beginning-semicolon@domain.co.uk",
        "middle-semicolon@domain.co;uk",
        "trailing-semicolon@domain.com;",
        '"email+leading-quotes@domain.com',
        'email+middle"-quotes@domain.com',
        '"quoted-local-part"@domain.com',
        '"quoted@domain.com"',
        "lots-of-dots@domain..gov..uk",
        "two-dots..in-local@domain.com",
        "multiple@domains@domain.com",
        "spaces in local@domain.com",
        "spaces-in-domain@dom ain.com",
        "underscores-in-domain@dom_ain.com",
        "pipe-in-domain@example.com|gov.uk",
        "comma,in-local@gov.uk",
        "comma-in-domain@domain,gov.uk",
        "pound-sign-in-local£@domain.com",
        "local-with-’-apostrophe@domain.com",
        "local-with-”-quotes@domain.com",
        "accented-lócal@domain.com",
        "brackets(in)local@domain.com",
        "domain-starts-with-a-dot@.domain.com",
        "trailing-dot@domain.com.",
        "hyphen-at-label-start@-domain.com",
        "hyphen-at-label-end@domain-.com",
        "three-hyphens@tri---ple.com",
        "digit-in-tld@domain.c0m",
        "one-letter-tld@domain.c",
        "incorrect-punycode@xn---something.com",
        f"label-too-long@{'a' * 64}.com",
        f"email-too-long-{'a' * 320}@example.com",
    ],
)
def test_an_invalid_email_address_is_refused_with_notifys_message(address: str) -> None:
    with pytest.raises(InvalidEmailError) as caught:
        validate_email_address(address)
    assert caught.value.message == NOT_AN_EMAIL
    assert str(caught.value) == NOT_AN_EMAIL


def test_an_email_address_may_be_320_characters_but_no_more() -> None:
    domain = "@example.com"
    longest = "a" * (320 - len(domain)) + domain
    assert validate_email_address(longest) == longest
    with pytest.raises(InvalidEmailError):
        validate_email_address("a" + longest)


def test_a_domain_may_be_253_characters_once_encoded_but_no_more() -> None:
    labels = ["a" * 63, "b" * 63, "c" * 63, "d" * 57, "com"]  # 63*3 + 57 + 3 + 4 dots = 253
    domain = ".".join(labels)
    assert len(domain) == 253
    assert validate_email_address(f"x@{domain}") == f"x@{domain}"
    with pytest.raises(InvalidEmailError):
        validate_email_address(f"x@e{domain}")


def test_an_email_error_is_a_recipient_error() -> None:
    assert issubclass(InvalidEmailError, InvalidRecipientError)
    assert InvalidRecipientError().message == "Not a valid recipient address"


# ---------------------------------------------------------------- phone: UK mobiles


@pytest.mark.parametrize(
    "value",
    [
        "07700 900123",
        "07700900123",
        "7700900123",
        "07700-900-123",
        "+447700900123",
        "+44 7700 900 123",
        "+44 (0)7700 900 123",
        "(0)7700 900123",
        "00447700900123",
        "00 44 7700 900123",
        "447700900123",
        "\u200b\t+44 (0)7700 900 123\ufeff \r\n",
    ],
)
def test_a_uk_mobile_in_any_format_notify_accepts_is_normalised(value: str) -> None:
    number = validate_phone_number(value)
    assert number == PhoneNumber(
        normalised="447700900123",
        international=False,
        crown_dependency=False,
        country_prefix="44",
        rate_multiplier=1,
    )
    assert number.is_uk_phone_number


def test_a_uk_mobile_with_spaces_and_plus_44_is_normalised() -> None:
    assert validate_phone_number("+44 7723 456 789").normalised == "447723456789"


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("+07044123456", "447044123456"),
        ("0+44(0)7779123456", "447779123456"),
        ("0+447988123456", "447988123456"),
        ("04407379123456", "447379123456"),
        ("0447300123456", "447300123456"),
        ("000007392123456", "447392123456"),
        ("007341123456", "447341123456"),
        ("+04915161123456", "4915161123456"),
    ],
)
def test_stray_plus_signs_and_leading_zeros_are_forgiven(value: str, normalised: str) -> None:
    assert validate_phone_number(value).normalised == normalised


@pytest.mark.parametrize("value", ["07700900000", "07700900111", "07700900222", "07700900002", "07700900003"])
def test_the_smoke_test_and_simulated_failure_numbers_are_british_mobiles(value: str) -> None:
    number = validate_phone_number(value, international=False)
    assert number.normalised == "44" + value[1:]
    assert not number.international


def test_like_notify_any_national_number_starting_7700_counts_as_the_drama_range() -> None:
    # Notify's drama-range check looks only at the national number, so this valid
    # Kazakh mobile is billed at Russia/Kazakhstan's rate but flagged as not international.
    number = validate_phone_number("+7 770 012 3456")
    assert (number.country_prefix, number.rate_multiplier, number.international) == ("7", 4, False)


# ---------------------------------------------------------------- phone: landlines

UK_LANDLINES = [
    "0117 496 0860",
    "0044 117 496 0860",
    "44 117 496 0860",
    "+44 117 496 0860",
    "016064 1234",
    "020 7946 0991",
    "030 1234 5678",
    "0550 123 4567",
]


@pytest.mark.parametrize("value", UK_LANDLINES)
def test_a_uk_landline_is_not_a_uk_mobile_by_default(value: str) -> None:
    error = phone_error(value)
    assert (error.code, error.message) == (PhoneErrorCode.NOT_A_UK_MOBILE, NOT_A_UK_MOBILE)


@pytest.mark.parametrize("value", UK_LANDLINES)
def test_a_uk_landline_is_accepted_when_the_service_may_text_landlines(value: str) -> None:
    number = validate_phone_number(value, uk_landline=True)
    assert number.normalised.startswith("44")
    assert not number.international


@pytest.mark.parametrize(
    "value",
    [
        "0400 123 4567",  # unallocated
        "0600 123 4567",  # unallocated
        "0300 46 46",  # too short for a non-geographic number
        "0800 11 12",  # too short, and toll-free
        "0845 46 46",  # too short, and shared cost
        "0900 123 4567",  # premium rate
        "0800 123 4567",  # toll-free
    ],
)
def test_unallocated_premium_and_free_uk_numbers_are_not_valid_even_for_landline_services(value: str) -> None:
    assert phone_error(value, uk_landline=True).message == NOT_VALID


# ---------------------------------------------------------------- phone: international


@pytest.mark.parametrize(
    ("value", "normalised", "prefix", "multiplier"),
    [
        ("+1 202 555 0123", "12025550123", "1", 1),
        ("1-202-555-0104", "12025550104", "1", 1),
        ("0012025550104", "12025550104", "1", 1),
        ("+0012025550104", "12025550104", "1", 1),
        ("+33 6 12 34 56 78", "33612345678", "33", 2),
        ("0033122334455", "33122334455", "33", 2),
        ("33(0)1 12345678", "33112345678", "33", 2),
        ("+7 (8) (495) 123-45-67", "74951234567", "7", 4),
        ("784951234567", "74951234567", "7", 4),
        ("20-12-1234-1234", "201212341234", "20", 3),
        ("00201212341234", "201212341234", "20", 3),
        ("16644913789", "16644913789", "1664", 3),
        ("230 5 2512345", "23052512345", "230", 2),
        ("+682 50 123", "68250123", "682", 3),
        ("+43 676 111 222 333 4", "436761112223334", "43", 3),
    ],
)
def test_an_international_number_is_normalised_with_its_billing_prefix_and_rate(
    value: str, normalised: str, prefix: str, multiplier: int
) -> None:
    number = validate_phone_number(value)
    assert number == PhoneNumber(
        normalised=normalised,
        international=True,
        crown_dependency=False,
        country_prefix=prefix,
        rate_multiplier=multiplier,
    )
    assert not number.is_uk_phone_number


@pytest.mark.parametrize(
    "value", ["+14158961600", "+3225484211", "+1 202-483-3000", "+7 495 308-78-41", "784951234567"]
)
def test_an_international_number_is_not_a_uk_mobile_when_the_service_cannot_send_abroad(value: str) -> None:
    error = phone_error(value, international=False, uk_landline=True)
    assert (error.code, error.message) == (PhoneErrorCode.NOT_A_UK_MOBILE, NOT_A_UK_MOBILE)


@pytest.mark.parametrize("value", ["07797800123", "+447797292290", "+447797333214"])
def test_a_crown_dependency_mobile_is_international_but_passes_as_plus_44(value: str) -> None:
    number = validate_phone_number(value, international=False)
    assert (number.international, number.crown_dependency) == (True, True)
    assert (number.country_prefix, number.rate_multiplier) == ("44", 1)
    assert number.is_uk_phone_number


# ---------------------------------------------------------------- phone: errors


def test_the_phone_error_messages_are_notifys_v2_api_texts() -> None:
    assert PHONE_ERROR_MESSAGES == {
        PhoneErrorCode.INVALID_NUMBER: NOT_VALID,
        PhoneErrorCode.TOO_LONG: TOO_MANY_DIGITS,
        PhoneErrorCode.TOO_SHORT: NOT_ENOUGH_DIGITS,
        PhoneErrorCode.NOT_A_UK_MOBILE: NOT_A_UK_MOBILE,
        PhoneErrorCode.UNKNOWN_CHARACTER: LETTERS_OR_SYMBOLS,
        PhoneErrorCode.UNSUPPORTED_COUNTRY_CODE: NOT_A_COUNTRY_PREFIX,
    }


@pytest.mark.parametrize("value", ["", "+", "12345", "+12345"])
def test_an_empty_or_short_number_has_not_enough_digits(value: str) -> None:
    # "+" fails once as unparseable, then again with the plus removed: the second error is the one raised.
    assert phone_error(value).message == NOT_ENOUGH_DIGITS


@pytest.mark.parametrize(
    "value",
    ["772345678910", "0772345678910", "0044772345678910", "+44 (0)7723 456 789 10", "80100000000", "047354123456"],
)
def test_a_number_that_is_too_long_has_too_many_digits(value: str) -> None:
    assert phone_error(value).message == TOO_MANY_DIGITS


@pytest.mark.parametrize(
    "value",
    [
        "abcd",
        "079OO900123",
        "07890x32109",
        "07723 456789...",
        "07723 ☟☜⬇⬆☞☝",
        '07";DROP TABLE;"',
        "+44 07ab cde fgh",
        "ALPHANUM3R1C",
        "07700.900.123",
        "07700/900123",
    ],
)
def test_a_number_with_letters_or_symbols_is_refused(value: str) -> None:
    error = phone_error(value)
    assert (error.code, error.message) == (PhoneErrorCode.UNKNOWN_CHARACTER, LETTERS_OR_SYMBOLS)


@pytest.mark.parametrize(
    "value",
    [
        "0772345678",
        "004477234567",
        "00447723456",
        "+44 (0)7723 456 78",
        "1234567",
        "+682 1234",
        "0033877123456",
        "(06)25123456",
        "0049 160 123456",
        " ",
    ],
)
def test_a_number_of_a_possible_length_but_not_in_use_is_not_valid(value: str) -> None:
    error = phone_error(value)
    assert (error.code, error.message) == (PhoneErrorCode.INVALID_NUMBER, NOT_VALID)


def test_a_country_notify_does_not_send_to_is_not_a_valid_country_prefix() -> None:
    error = phone_error("24741111")  # Ascension Island, +247
    assert (error.code, error.message) == (PhoneErrorCode.UNSUPPORTED_COUNTRY_CODE, NOT_A_COUNTRY_PREFIX)


def test_a_phone_error_is_a_recipient_error_carrying_its_code_and_message() -> None:
    error = phone_error("")
    assert isinstance(error, InvalidRecipientError)
    assert error.code == PhoneErrorCode.TOO_SHORT
    assert str(error) == error.message == NOT_ENOUGH_DIGITS


def test_a_validated_phone_number_cannot_be_changed() -> None:
    number = validate_phone_number("07700900123")
    with pytest.raises(dataclasses.FrozenInstanceError):
        number.normalised = "447700900999"  # type: ignore[misc]
