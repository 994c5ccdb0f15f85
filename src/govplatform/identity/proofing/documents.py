"""Reading the numbers printed on UK identity documents and checking they are well formed, before any record
is looked up: a passport's machine-readable zone (ICAO Doc 9303 part 4, the two-line TD3 format) with its
check digits, and a UK photocard driving licence's number (DVLA's 16-character structure) against the name
and date of birth the citizen gave.

Written by hand: the check-digit rule and the two layouts are a page of published arithmetic, and the Python
MRZ libraries on PyPI are OCR toolkits or unmaintained; what is needed here is the check alone, with errors
that say which field is wrong. A well-formed number proves nothing about the person: it only stops a typing
mistake or an invented number from reaching a check that reads a record (and the transparency log).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from govplatform.core.interfaces import N_, UserFacingError

_MRZ_WEIGHTS = (7, 3, 1)
_TD3_LINE = re.compile(r"^[A-Z0-9<]{44}$")
DIGITS_WRONG = N_("The machine-readable zone’s check digits do not match. Check you typed the second line exactly")


class DocumentRefused(UserFacingError):
    """The document's details are not well formed; `field` names the form field to point at."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def mrz_value(character: str) -> int:
    """ICAO 9303 part 3 section 4.9: digits are themselves, A to Z are 10 to 35, the filler '<' is 0."""
    if character.isdigit():
        return int(character)
    if "A" <= character <= "Z":
        return ord(character) - ord("A") + 10
    if character == "<":
        return 0
    raise ValueError(f"not a machine-readable zone character: {character!r}")


def check_digit(field: str) -> str:
    """The check digit of a field: each value times 7, 3, 1 in turn, summed, modulo 10."""
    return str(sum(mrz_value(c) * _MRZ_WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


@dataclasses.dataclass(frozen=True)
class PassportZone:
    """What a TD3 machine-readable zone says, once every check digit matched."""

    issuing_state: str  # ICAO code, "GBR"
    surname: str
    given_names: str
    document_number: str  # without fillers
    nationality: str
    birth_date: dt.date
    sex: str  # "M", "F" or "<"
    expiry_date: dt.date


def _mrz_date(digits: str, *, future: bool, today: dt.date) -> dt.date:
    """YYMMDD: a birth date is in the past century window, an expiry date within the next one."""
    year, month, day = int(digits[:2]), int(digits[2:4]), int(digits[4:6])
    century = 2000 if (year + 2000 <= today.year + (20 if future else 0)) else 1900
    return dt.date(century + year, month, day)


@dataclasses.dataclass(frozen=True)
class PassportNumbers:
    """What a TD3 zone's second line says, once every check digit matched: all the journey asks for, since the
    name is typed and the first line holds nothing the check digits protect."""

    document_number: str  # without fillers
    nationality: str
    birth_date: dt.date
    sex: str  # "M", "F" or "<"
    expiry_date: dt.date


def read_passport_line_2(line_2: str, today: dt.date) -> PassportNumbers:
    """A passport's second machine-readable line, checked (ICAO 9303 part 4 section 4.2.2): the number, date of
    birth and expiry date each with its check digit, the optional personal number with its own, and the composite.

    Raises DocumentRefused (field "mrz-2") when the line is malformed or a check digit does not match.
    """
    line_2 = re.sub(r"\s", "", line_2).upper()
    if not _TD3_LINE.match(line_2):
        raise DocumentRefused(
            N_("Enter the second line of the machine-readable zone: 44 letters, numbers and < signs"), "mrz-2"
        )
    number, birth, expiry, personal = line_2[0:9], line_2[13:19], line_2[21:27], line_2[28:42]
    checks = ((number, line_2[9]), (birth, line_2[19]), (expiry, line_2[27]))
    composite = line_2[0:10] + line_2[13:20] + line_2[21:43]
    if any(check_digit(field) != digit for field, digit in checks) or check_digit(composite) != line_2[43]:
        raise DocumentRefused(DIGITS_WRONG, "mrz-2")
    blank_personal = not personal.strip("<") and line_2[42] == "<"  # 9303: a blank number's digit may be a filler
    if check_digit(personal) != line_2[42] and not blank_personal:
        raise DocumentRefused(DIGITS_WRONG, "mrz-2")
    try:
        birth_date = _mrz_date(birth, future=False, today=today)
        expiry_date = _mrz_date(expiry, future=True, today=today)
    except ValueError:
        raise DocumentRefused(N_("The dates in the machine-readable zone are not real dates"), "mrz-2") from None
    return PassportNumbers(number.replace("<", ""), line_2[10:13].replace("<", ""), birth_date, line_2[20], expiry_date)


def read_passport_zone(line_1: str, line_2: str, today: dt.date) -> PassportZone:
    """Both lines of a passport's machine-readable zone, checked (ICAO 9303 part 4 section 4.2.2).

    Raises DocumentRefused naming the field when a line is malformed or a check digit does not match.
    """
    line_1 = re.sub(r"\s", "", line_1).upper()
    if not _TD3_LINE.match(line_1) or not line_1.startswith("P"):
        raise DocumentRefused(
            N_("Enter the first line of the machine-readable zone: 44 letters, numbers and < signs, starting with P"),
            "mrz-1",
        )
    numbers = read_passport_line_2(line_2, today)
    names = line_1[5:].split("<<", 1)
    surname = names[0].replace("<", " ").strip()
    given = names[1].replace("<", " ").strip() if len(names) > 1 else ""
    return PassportZone(
        issuing_state=line_1[2:5].replace("<", ""),
        surname=surname,
        given_names=" ".join(given.split()),
        document_number=numbers.document_number,
        nationality=numbers.nationality,
        birth_date=numbers.birth_date,
        sex=numbers.sex,
        expiry_date=numbers.expiry_date,
    )


_LICENCE = re.compile(r"^[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z0-9]{2}$")


def licence_surname_part(surname: str) -> str:
    """The licence number's first five characters: the surname's letters (a "MAC" prefix written "MC", as DVLA
    does), padded with 9s."""
    letters = re.sub(r"[^A-Z]", "", surname.upper())
    if letters.startswith("MAC"):
        letters = "MC" + letters[3:]
    return (letters[:5] + "99999")[:5]


def check_driving_licence(number: str, surname: str, given_names: str, birth_date: dt.date, female: bool | None) -> str:
    """A UK photocard driving licence number (the 16 characters of field 5), checked against the holder's
    name and date of birth; returns it normalised. Raises DocumentRefused.

    DVLA's structure: surname (5), decade of birth, month of birth (plus 5 in the tens for a woman), day of
    birth, the year's last digit, the first two initials (9 where there is no second), a digit, and two check
    characters DVLA computes privately (only their form is checked).
    """
    normal = re.sub(r"\s", "", number).upper()
    if not _LICENCE.match(normal):
        raise DocumentRefused(
            N_(
                "Enter the driving licence number as it appears on the licence: 16 letters and numbers, "
                "like MORGA753116SM9IJ"
            ),
            "licence-number",
        )
    if normal[:5] != licence_surname_part(surname):
        raise DocumentRefused(
            N_("The driving licence number does not match the last name you entered"), "licence-number"
        )
    month = int(normal[6:8])
    woman = month > 50
    if woman:
        month -= 50
    expected_birth = (str(birth_date.year)[2], birth_date.month, birth_date.day, str(birth_date.year)[3])
    if (normal[5], month, int(normal[8:10]), normal[10]) != expected_birth or (female is not None and woman != female):
        raise DocumentRefused(
            N_("The driving licence number does not match the date of birth you entered"), "licence-number"
        )
    initials = "".join(name[0] for name in given_names.upper().split() if name[:1].isalpha())[:2]
    if normal[11:13] != (initials + "99")[:2]:
        raise DocumentRefused(
            N_("The driving licence number does not match the first names you entered"), "licence-number"
        )
    return normal
