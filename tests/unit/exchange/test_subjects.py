"""Subject identifiers: each scheme's one normal form, and everything else refused rather than guessed at."""

from __future__ import annotations

import pytest

from govplatform.exchange.subjects import SubjectError, normalise, parse_schemes


@pytest.mark.parametrize(
    ("scheme", "typed", "normal"),
    [
        ("nino", "ab 12 34 56 c", "AB123456C"),
        ("nino", " AB123456D ", "AB123456D"),
        ("driving-licence", "morga 657054 sm9ij", "MORGA657054SM9IJ"),
        ("driving-licence", "JONES710238SJ9AB", "JONES710238SJ9AB"),
        ("passport", "123 456 789", "123456789"),
        ("name-dob", "Siân  O'Neill|Jones-Smith|1985-04-19", "SIAN O NEILL|JONES SMITH|1985-04-19"),
        ("name-dob", "SIAN O NEILL|jones smith| 1985-04-19 ", "SIAN O NEILL|JONES SMITH|1985-04-19"),
    ],
)
def test_an_identifier_typed_any_usual_way_has_one_normal_form(scheme: str, typed: str, normal: str) -> None:
    assert normalise(scheme, typed) == normal


@pytest.mark.parametrize(
    ("scheme", "value"),
    [
        ("nino", "AB-123456-C"),  # differently formatted: punctuation is not normalised away
        ("nino", "BG123456C"),  # a prefix HMRC never issues
        ("nino", "QQ123456C"),  # Q is never a first letter (GOV.UK's example number)
        ("nino", "AB123456E"),
        ("nino", "AB12345C"),
        ("nino", "123456789"),  # a passport number under the wrong scheme
        ("driving-licence", "MORGA657054SM9I"),
        ("driving-licence", "MORGA-657054-SM9IJ"),
        ("passport", "12345678"),
        ("passport", "AB1234567"),
        ("name-dob", "Sam|Jones"),
        ("name-dob", "Sam|Jones|19/04/1985"),
        ("name-dob", "Sam|Jones|1985-02-30"),
        ("name-dob", "Sam|J0nes|1985-04-19"),
        ("name-dob", "|Jones|1985-04-19"),
        ("nino", ""),
        ("nino", "   "),
        ("nino", "A" * 400),
        ("nino", 123456),
        ("nino", None),
        ("email", "someone@example.com"),
    ],
)
def test_a_malformed_or_differently_formatted_identifier_is_refused(scheme: str, value: object) -> None:
    with pytest.raises(SubjectError):
        normalise(scheme, value)


def test_schemes_are_read_from_a_list_each_known_and_named_once() -> None:
    assert parse_schemes("nino, driving-licence") == ["nino", "driving-licence"]
    for bad in ("", "nino,nino", "nino,email", ","):
        with pytest.raises(SubjectError):
            parse_schemes(bad)
