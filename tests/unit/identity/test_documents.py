"""Document numbers checked before any record is read: ICAO 9303's TD3 machine-readable zone (its own specimen,
every check digit, malformed lines) and DVLA's driving licence number against the holder's name and birth."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.identity.proofing.documents import (
    DocumentRefused,
    check_digit,
    check_driving_licence,
    licence_surname_part,
    read_passport_zone,
)

TODAY = dt.date(2026, 12, 7)
# ICAO Doc 9303 part 4's specimen passport (Utopia, Anna Maria Eriksson).
SPECIMEN_1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
SPECIMEN_2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"


def test_the_check_digits_of_icao_s_specimen() -> None:
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    assert check_digit("120415") == "9"
    assert check_digit("ZE184226B<<<<<") == "1"


def test_icao_s_specimen_passport_is_read_field_by_field() -> None:
    zone = read_passport_zone(SPECIMEN_1, SPECIMEN_2, TODAY)
    assert zone.issuing_state == "UTO" and zone.nationality == "UTO"
    assert (zone.surname, zone.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert zone.document_number == "L898902C3"
    assert zone.birth_date == dt.date(1974, 8, 12) and zone.expiry_date == dt.date(2012, 4, 15)
    assert zone.sex == "F"


def test_spaces_and_lower_case_as_people_type_them_are_accepted() -> None:
    typed = " ".join(SPECIMEN_2[i : i + 11] for i in range(0, 44, 11)).lower()
    assert read_passport_zone(SPECIMEN_1.lower(), typed, TODAY).document_number == "L898902C3"


@pytest.mark.parametrize("position", [9, 19, 27, 42, 43])
def test_a_wrong_check_digit_is_refused_on_the_second_line(position: int) -> None:
    digit = SPECIMEN_2[position]
    wrong = str((int(digit) + 1) % 10) if digit.isdigit() else "1"
    with pytest.raises(DocumentRefused) as refused:
        read_passport_zone(SPECIMEN_1, SPECIMEN_2[:position] + wrong + SPECIMEN_2[position + 1 :], TODAY)
    assert refused.value.field == "mrz-2"


@pytest.mark.parametrize("position", [0, 3, 14, 22, 30])
def test_a_mistyped_field_is_caught_by_its_check_digit(position: int) -> None:
    character = SPECIMEN_2[position]
    mistyped = "7" if character != "7" else "8"
    with pytest.raises(DocumentRefused):
        read_passport_zone(SPECIMEN_1, SPECIMEN_2[:position] + mistyped + SPECIMEN_2[position + 1 :], TODAY)


@pytest.mark.parametrize(
    ("line_1", "line_2", "field"),
    [
        (SPECIMEN_1[:-1], SPECIMEN_2, "mrz-1"),
        ("V" + SPECIMEN_1[1:], SPECIMEN_2, "mrz-1"),  # a visa's zone, not a passport's
        (SPECIMEN_1, SPECIMEN_2 + "<", "mrz-2"),
        (SPECIMEN_1, SPECIMEN_2.replace("<", "-"), "mrz-2"),
        (SPECIMEN_1, "", "mrz-2"),
        (SPECIMEN_1, "É" * 44, "mrz-2"),
    ],
)
def test_malformed_lines_are_refused_naming_the_line(line_1: str, line_2: str, field: str) -> None:
    with pytest.raises(DocumentRefused) as refused:
        read_passport_zone(line_1, line_2, TODAY)
    assert refused.value.field == field


def _line_2(number: str, birth: str, expiry: str, month: str = "08") -> str:
    number = (number + "<" * 9)[:9]
    birth = birth[:2] + month + birth[4:]
    personal = "<" * 14
    body = number + check_digit(number) + "GBR" + birth + check_digit(birth) + "M" + expiry + check_digit(expiry)
    body += personal + "<"
    composite = body[0:10] + body[13:20] + body[21:43]
    return body + check_digit(composite)


def test_a_date_that_does_not_exist_is_refused_even_with_matching_check_digits() -> None:
    with pytest.raises(DocumentRefused) as refused:
        read_passport_zone("P<GBRSMITH<<JO" + "<" * 30, _line_2("123456789", "800230", "300101", month="02"), TODAY)
    assert "not real dates" in str(refused.value.template)


@given(
    st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=9),
    st.dates(dt.date(1930, 1, 1), dt.date(2026, 1, 1)),
)
def test_any_zone_with_right_check_digits_reads_back_its_number_and_birth_date(number: str, born: dt.date) -> None:
    line_2 = _line_2(number, born.strftime("%y%m%d"), "300101", month=born.strftime("%m"))
    zone = read_passport_zone("P<GBRSMITH<<JO" + "<" * 30, line_2, TODAY)
    assert zone.document_number == number and zone.birth_date == born


BORN = dt.date(1976, 3, 11)


def test_dvla_s_example_licence_number_matches_its_holder() -> None:
    assert (
        check_driving_licence("morga 753116 sm9ij", "Morgan", "Sarah Meredith", BORN, female=True) == "MORGA753116SM9IJ"
    )


@pytest.mark.parametrize(
    ("number", "surname", "given", "born", "female", "why"),
    [
        ("MORGA753116SM9IJ", "Morris", "Sarah Meredith", BORN, True, "last name"),
        ("MORGA753116SM9IJ", "Morgan", "Sarah Meredith", dt.date(1976, 3, 12), True, "date of birth"),
        ("MORGA753116SM9IJ", "Morgan", "Sarah Meredith", BORN, False, "date of birth"),  # 53: a woman's March
        ("MORGA753116SM9IJ", "Morgan", "Sarah", BORN, True, "first names"),
        ("MORGA753116SM9I", "Morgan", "Sarah Meredith", BORN, True, "16 letters and numbers"),
        ("MORGA7531!6SM9IJ", "Morgan", "Sarah Meredith", BORN, True, "16 letters and numbers"),
        ("", "Morgan", "Sarah Meredith", BORN, True, "16 letters and numbers"),
    ],
)
def test_a_licence_number_that_does_not_fit_its_holder_is_refused_saying_what(
    number: str, surname: str, given: str, born: dt.date, female: bool, why: str
) -> None:
    with pytest.raises(DocumentRefused) as refused:
        check_driving_licence(number, surname, given, born, female)
    assert why in str(refused.value.template) and refused.value.field == "licence-number"


def test_short_and_mac_surnames_are_written_as_dvla_writes_them() -> None:
    assert licence_surname_part("Li") == "LI999"
    assert licence_surname_part("MacDonald") == "MCDON"
    assert licence_surname_part("O'Brien-Smith") == "OBRIE"
    assert (
        check_driving_licence("LI999802150J99AB", "Li", "Jo", dt.date(1980, 2, 15), female=False) == "LI999802150J99AB"
    )
