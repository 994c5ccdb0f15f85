"""Subject identifiers: the fixed schemes a dataset answers by, each normalised one way before any use.

A query names its subject as `{"scheme": ..., "value": ...}`. The value is normalised (spaces removed, letters
upper case, names folded as below) and then must match the scheme's form exactly; anything else (a hyphen in a
National Insurance number, a passport number under `nino`) is refused, never guessed at, because a lookup by a
guessed identifier could answer about the wrong person. Normalised values are what the record store hashes
(keyed) and what the log's pseudonyms are made from, so the same person is one key however the number is typed.

- `nino`: a National Insurance number, two prefix letters (HMRC's excluded prefixes and letters refused), six
  digits, a suffix A to D.
- `driving-licence`: a GB driving licence number (DVLA's 16 characters: 5 of the surname, padded with 9s; 6
  digits of the birth date; 2 initials, padded with 9s; a digit; 2 check letters).
- `passport`: a UK passport number, 9 digits.
- `name-dob`: `{given names}|{family name}|{YYYY-MM-DD}`; names folded (accents removed, upper case, runs of
  spaces, hyphens and apostrophes as one space) so "Siân O'Neill" and "SIAN  O NEILL" are one person, and the
  date a real date.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

SCHEMES = ("nino", "driving-licence", "passport", "name-dob")
_NINO = re.compile(r"^(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$")
_LICENCE = re.compile(r"^[A-Z9]{5}[0-9]{6}[A-Z9]{2}[0-9][A-Z]{2}$")
_PASSPORT = re.compile(r"^[0-9]{9}$")
_NAME_GAPS = re.compile(r"[\s'’\-]+")
_NAME = re.compile(r"^[A-Z][A-Z ]{0,99}$")
MAX_VALUE = 300

FORMS = {
    "nino": "two letters, six digits and A, B, C or D, like AB123456C",
    "driving-licence": "16 letters and digits, like MORGA657054SM9IJ",
    "passport": "9 digits, like 123456789",
    "name-dob": "given names, family name and date of birth split by |, like Sam|Jones|1985-04-19",
}


class SubjectError(ValueError):
    """An identifier that is not in its scheme's form, or a scheme that is not one of `SCHEMES`."""


def _compact(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def fold_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NAME_GAPS.sub(" ", plain).strip().upper()


def normalise(scheme: str, value: object) -> str:
    """The identifier in its one normal form, or SubjectError saying what the scheme's form is."""
    if scheme not in SCHEMES:
        raise SubjectError(f"the subject's scheme must be one of {', '.join(SCHEMES)}")
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_VALUE:
        raise SubjectError(f"a {scheme} identifier is text: {FORMS[scheme]}")
    if scheme == "name-dob":
        return _name_dob(value)
    compact = _compact(value)
    pattern = {"nino": _NINO, "driving-licence": _LICENCE, "passport": _PASSPORT}[scheme]
    if not pattern.match(compact):
        raise SubjectError(f"a {scheme} identifier is {FORMS[scheme]}")
    return compact


def _name_dob(value: str) -> str:
    parts = value.split("|")
    if len(parts) != 3:
        raise SubjectError(f"a name-dob identifier is {FORMS['name-dob']}")
    given, family, born = (fold_name(parts[0]), fold_name(parts[1]), parts[2].strip())
    if not _NAME.match(given) or not _NAME.match(family):
        raise SubjectError("a name-dob identifier's names are letters, spaces, hyphens and apostrophes")
    try:
        birth_date = dt.date.fromisoformat(born) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", born) else None
    except ValueError:
        birth_date = None
    if birth_date is None:
        raise SubjectError("a name-dob identifier's date of birth is a real date written YYYY-MM-DD")
    return f"{given}|{family}|{birth_date.isoformat()}"


def parse_schemes(text: str) -> list[str]:
    """A comma-separated list of schemes (the CLI's --subject-schemes), each known, none twice."""
    schemes = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [scheme for scheme in schemes if scheme not in SCHEMES]
    if not schemes or unknown or len(set(schemes)) != len(schemes):
        raise SubjectError(f"subject schemes are one or more of {', '.join(SCHEMES)}, each once")
    return schemes
