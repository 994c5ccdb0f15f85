import pytest

from govplatform.notify.templates.countries import Postage, find_country
from govplatform.notify.templates.letter import (
    BFPO_WITH_COUNTRY,
    INVALID_CHARACTERS,
    NOT_A_POSTCODE_OR_COUNTRY,
    NOT_A_REAL_ADDRESS,
    NOT_A_UK_POSTCODE,
    NOT_ENOUGH_LINES,
    TOO_MANY_LINES,
    PostalAddress,
    format_postcode,
    is_a_real_uk_postcode,
)


def address(*lines: str, international: bool = False) -> PostalAddress:
    return PostalAddress("\n".join(lines), allow_international=international)


@pytest.mark.parametrize(
    ("postcode", "formatted"),
    [
        ("SW1A 1AA", "SW1A 1AA"),
        ("sw1a1aa", "SW1A 1AA"),
        ("  s w 1 a 1 a a ", "SW1A 1AA"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("BF1 3AA", "BF1 3AA"),
        ("JE2 3AB", "JE2 3AB"),
        ("BT1 1AA", "BT1 1AA"),
    ],
)
def test_real_uk_postcodes_are_recognised_and_formatted_for_royal_mail(postcode: str, formatted: str) -> None:
    assert is_a_real_uk_postcode(postcode)
    assert format_postcode(postcode) == formatted


@pytest.mark.parametrize(
    "postcode",
    [
        "",
        "not a postcode",
        "SW1A",
        "1AA",
        "QQ1 1AA",  # no such area
        "SW1A 1CA",  # C is never used in the unit
        "SW1A 1AI",  # nor I
        "SW1A1AAA",
        "SW1A-1AA",
        "12345",
        "SW1A 1ÅA",
        "GIR 0AA",  # GIR is a listed area, but Notify's pattern wants a digit after it
    ],
)
def test_things_that_are_not_real_uk_postcodes_are_refused(postcode: str) -> None:
    assert not is_a_real_uk_postcode(postcode)
    assert format_postcode(postcode) is None


@pytest.mark.parametrize(
    ("lines", "printed"),
    [
        (("Ann Bird", "10 Downing Street", "sw1a2aa"), ["Ann Bird", "10 Downing Street", "SW1A 2AA"]),
        (("  Ann   Bird , ,", "", "10 Downing Street ,", "London", "SW1A 2AA"), None),
        (
            ("Ann Bird", "10 Downing Street", "SW1A 2AA", "United Kingdom"),
            ["Ann Bird", "10 Downing Street", "SW1A 2AA"],
        ),
        (("Ann Bird", "10 Downing Street", "SW1A 2AA", "england"), ["Ann Bird", "10 Downing Street", "SW1A 2AA"]),
        (("Ann Bird", "Unit 1 , Road", "SW1A 2AA"), ["Ann Bird", "Unit 1, Road", "SW1A 2AA"]),
    ],
)
def test_address_lines_are_normalised_as_they_will_be_printed(
    lines: tuple[str, ...], printed: list[str] | None
) -> None:
    expected = printed or ["Ann Bird", "10 Downing Street", "London", "SW1A 2AA"]
    result = address(*lines)
    assert result.lines == expected
    assert result.error() is None


@pytest.mark.parametrize(
    ("lines", "international", "error"),
    [
        (("Ann Bird", "SW1A 2AA"), False, NOT_ENOUGH_LINES),
        (("", "", ""), False, NOT_ENOUGH_LINES),
        (("Ann Bird", "SW1A 2AA", "United Kingdom"), False, NOT_ENOUGH_LINES),
        (("1", "2", "3", "4", "5", "6", "7", "SW1A 2AA"), False, TOO_MANY_LINES),
        (("Ann Bird", "10 Downing Street", "London"), False, NOT_A_UK_POSTCODE),
        (("Ann Bird", "10 Downing Street", "London"), True, NOT_A_POSTCODE_OR_COUNTRY),
        (("Ann Bird", "1 Rue de Rivoli", "75001 Paris", "France"), False, NOT_A_UK_POSTCODE),
        (("Ann Bird", "BFPO 1234", "France"), False, BFPO_WITH_COUNTRY),
        (("Ann Bird", "BFPO 1234", "France"), True, BFPO_WITH_COUNTRY),
        (("Ann Bird", "[10] Downing Street", "SW1A 2AA"), False, INVALID_CHARACTERS),
        (("@Ann", "10 Downing Street", "SW1A 2AA"), False, INVALID_CHARACTERS),
        (('"Ann"', "10 Downing Street", "SW1A 2AA"), False, INVALID_CHARACTERS),
        (("~Ann", "10 Downing Street", "SW1A 2AA"), False, INVALID_CHARACTERS),
        (("Ann Bird", "NFA", "SW1A 2AA"), False, NOT_A_REAL_ADDRESS),
        (("Ann Bird", "No Fixed Abode", "SW1A 2AA"), False, NOT_A_REAL_ADDRESS),
        (("Ann Bird", "of no fixed address", "SW1A 2AA"), False, NOT_A_REAL_ADDRESS),
    ],
)
def test_addresses_notify_cannot_post_are_refused_with_its_message(
    lines: tuple[str, ...], international: bool, error: str
) -> None:
    assert address(*lines, international=international).error() == error


def test_the_error_messages_are_notifys_words() -> None:
    assert NOT_ENOUGH_LINES == "Address must be at least 3 lines"
    assert TOO_MANY_LINES == "Address must be no more than 7 lines"
    assert NOT_A_UK_POSTCODE == "Must be a real UK postcode"
    assert NOT_A_POSTCODE_OR_COUNTRY == "Last line of address must be a real UK postcode or another country"
    assert INVALID_CHARACTERS == (
        "Address lines must not start with any of the following characters: @ ( ) = [ ] ” \\ / , < >"
    )


def test_a_line_starting_with_a_comma_is_refused_but_trailing_commas_are_tidied() -> None:
    assert address("Ann Bird", ",10 Downing Street", "SW1A 2AA").error() == INVALID_CHARACTERS
    assert address("Ann Bird,", "10 Downing Street,,", "SW1A 2AA").error() is None


@pytest.mark.parametrize(
    ("lines", "printed", "postage"),
    [
        (
            ("Ann Bird", "1 Rue de Rivoli", "75001 Paris", "france"),
            ["Ann Bird", "1 Rue de Rivoli", "75001 Paris", "France"],
            Postage.EUROPE,
        ),
        (("Ann Bird", "Toronto", "Canada"), ["Ann Bird", "Toronto", "Canada"], Postage.REST_OF_WORLD),
        (("Ann Bird", "New York", "U.S.A."), ["Ann Bird", "New York", "United States"], Postage.REST_OF_WORLD),
        (("Ann Bird", "Dublin", "Republic of Ireland"), ["Ann Bird", "Dublin", "Ireland"], Postage.EUROPE),
    ],
)
def test_international_addresses_end_in_a_country_and_need_permission(
    lines: tuple[str, ...], printed: list[str], postage: Postage
) -> None:
    allowed = address(*lines, international=True)
    assert allowed.error() is None
    assert allowed.international and allowed.postage is postage
    assert allowed.lines == printed
    assert allowed.postcode is None
    assert address(*lines).error() == NOT_A_UK_POSTCODE


@pytest.mark.parametrize(
    ("lines", "printed", "postcode"),
    [
        (("Cpl Ann Bird", "Unit 1", "BFPO 1234"), ["Cpl Ann Bird", "Unit 1", "BFPO 1234"], None),
        (("Cpl Ann Bird", "bfpo c/o 56", "Unit 1"), ["Cpl Ann Bird", "Unit 1", "BFPO 56"], None),
        (
            ("Cpl Ann Bird", "BFPO 1234", "Unit 1", "bf1 3aa"),
            ["Cpl Ann Bird", "Unit 1", "BF1 3AA", "BFPO 1234"],
            "BF1 3AA",
        ),
    ],
)
def test_bfpo_addresses_need_no_postcode_and_end_with_the_bfpo_number(
    lines: tuple[str, ...], printed: list[str], postcode: str | None
) -> None:
    result = address(*lines)
    assert result.error() is None
    assert result.lines == printed
    assert result.postcode == postcode
    assert result.bfpo_number is not None


def test_a_bfpo_line_without_a_number_is_not_a_bfpo_address() -> None:
    result = address("Ann Bird", "BFPO", "London")
    assert result.bfpo_number is None
    assert result.error() == NOT_A_UK_POSTCODE


def test_the_address_comes_from_address_lines_with_postcode_as_the_last_line() -> None:
    personalisation = {"Address Line 1": "Ann Bird", "address-line-2": "10 Downing Street", "POSTCODE": "sw1a2aa"}
    result = PostalAddress.from_personalisation(personalisation)
    assert result.lines == ["Ann Bird", "10 Downing Street", "SW1A 2AA"]
    assert result.error() is None


def test_address_line_7_replaces_the_legacy_postcode_when_both_are_given() -> None:
    personalisation = {
        "address_line_1": "Ann Bird",
        "address_line_2": "10 Downing Street",
        "address_line_7": "SW1A 2AA",
        "postcode": "not used",
    }
    assert PostalAddress.from_personalisation(personalisation).lines == ["Ann Bird", "10 Downing Street", "SW1A 2AA"]


def test_non_string_and_missing_address_values_are_read_as_text_or_skipped() -> None:
    personalisation: dict[str, object] = {"address_line_1": 10, "address_line_2": None, "address_line_3": "Downing St"}
    result = PostalAddress.from_personalisation({**personalisation, "address_line_4": "SW1A 2AA"})
    assert result.lines == ["10", "Downing St", "SW1A 2AA"]


def test_international_permission_is_carried_from_the_service() -> None:
    personalisation = {"address_line_1": "Ann", "address_line_2": "Paris", "address_line_3": "France"}
    assert PostalAddress.from_personalisation(personalisation, allow_international=True).error() is None
    assert PostalAddress.from_personalisation(personalisation).error() == NOT_A_UK_POSTCODE


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("France", ("France", Postage.EUROPE)),
        ("  the   netherlands ", ("Netherlands", Postage.EUROPE)),
        ("Bosnia & Herzegovina", ("Bosnia and Herzegovina", Postage.EUROPE)),
        ("Wales", ("United Kingdom", Postage.UK)),
        ("Narnia", None),
        ("SW1A 2AA", None),
    ],
)
def test_country_names_and_synonyms_are_recognised(line: str, found: tuple[str, Postage] | None) -> None:
    assert find_country(line) == found
