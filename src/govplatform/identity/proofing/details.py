"""The details page's fields, read: who the person says they are and their document, checked for form before
any check sees them (names as people write them, real dates, the document's numbers by documents.py). Each
problem names the field to point at, as GOV.UK's error summary links to it.

The name and date of birth are compared with what the document's own numbers say where they say it (a
passport's machine-readable zone holds the date of birth; a licence number holds the surname, initials and
date of birth), so a mismatch is told at once, before a record is read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping

from govplatform.core.interfaces import N_, UserFacingError
from govplatform.identity.proofing.checks import Address, Claimant, DocumentClaim, DocumentKind
from govplatform.identity.proofing.documents import DocumentRefused, check_driving_licence, read_passport_line_2

MAX_NAME = 100
EXPIRED = N_("This document has expired. You can prove your identity with a document that is in date")
_NAME = re.compile(r"^[^\W\d_]+(?:[ '’.-]+[^\W\d_]+)*[.]?$")  # letters, with spaces, hyphens, apostrophes
_ISSUE = re.compile(r"^\d{2}$")
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")  # the UK's postcode format
MAX_ADDRESS_LINE = 100


class DetailsRefused(UserFacingError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclasses.dataclass(frozen=True)
class Details:
    claimant: Claimant
    claim: DocumentClaim


def _text(form: Mapping[str, object], name: str, longest: int) -> str:
    value = form.get(name)
    return " ".join(value.split())[: longest + 1] if isinstance(value, str) else ""


def _name(form: Mapping[str, object], field: str, missing: str, wrong: str) -> str:
    value = _text(form, field, MAX_NAME)
    if not value:
        raise DetailsRefused(missing, field)
    if len(value) > MAX_NAME or not _NAME.match(value):
        raise DetailsRefused(wrong, field)
    return value


def _date(form: Mapping[str, object], prefix: str, missing: str, wrong: str) -> dt.date:
    parts = [_text(form, f"{prefix}-{part}", 4) for part in ("day", "month", "year")]
    if not all(parts):
        raise DetailsRefused(missing, f"{prefix}-day")
    try:
        day, month, year = (int(part) for part in parts)
        if len(parts[2]) != 4:
            raise ValueError(parts[2])
        return dt.date(year, month, day)
    except ValueError:
        raise DetailsRefused(wrong, f"{prefix}-day") from None


def _person(form: Mapping[str, object], today: dt.date) -> Claimant:
    given = _name(
        form,
        "given-names",
        N_("Enter your first names"),
        N_("First names must be 100 characters or fewer, and only letters, spaces, hyphens and apostrophes"),
    )
    surname = _name(
        form,
        "surname",
        N_("Enter your last name"),
        N_("Last name must be 100 characters or fewer, and only letters, spaces, hyphens and apostrophes"),
    )
    born = _date(form, "dob", N_("Enter your date of birth"), N_("Date of birth must be a real date, like 27 3 1985"))
    if born >= today:
        raise DetailsRefused(N_("Date of birth must be in the past"), "dob-day")
    if born.year < today.year - 130:
        raise DetailsRefused(N_("Date of birth must be a real date, like 27 3 1985"), "dob-day")
    return Claimant(given, surname, born, _address(form))  # fmt: skip


def _address(form: Mapping[str, object]) -> Address:
    line_1 = _text(form, "address-line-1", MAX_ADDRESS_LINE)
    if not line_1:
        raise DetailsRefused(N_("Enter the building and street of your address"), "address-line-1")
    town = _text(form, "address-town", MAX_ADDRESS_LINE)
    if not town:
        raise DetailsRefused(N_("Enter the town or city of your address"), "address-town")
    if len(line_1) > MAX_ADDRESS_LINE or len(town) > MAX_ADDRESS_LINE:
        field = "address-line-1" if len(line_1) > MAX_ADDRESS_LINE else "address-town"
        raise DetailsRefused(N_("Each line of the address must be 100 characters or fewer"), field)
    postcode = _text(form, "address-postcode", 10).upper()
    if not postcode:
        raise DetailsRefused(N_("Enter your postcode"), "address-postcode")
    found = _POSTCODE.match(postcode)
    if found is None:
        raise DetailsRefused(N_("Enter a real postcode, like AA1 1AA"), "address-postcode")
    return Address(line_1, town, f"{found.group(1)} {found.group(2)}")


def passport(form: Mapping[str, object], today: dt.date) -> Details:
    person = _person(form, today)
    line = _text(form, "mrz-2", 60).replace(" ", "")
    if not line:
        raise DetailsRefused(N_("Enter the second line of letters and numbers at the bottom of the photo page"),
                             "mrz-2")  # fmt: skip
    try:
        numbers = read_passport_line_2(line, today)
    except DocumentRefused as error:
        raise DetailsRefused(error.template, "mrz-2") from None
    zone, typed = numbers.birth_date, person.birth_date  # the zone's year has two digits: compare those
    if (zone.day, zone.month, zone.year % 100) != (typed.day, typed.month, typed.year % 100):
        raise DetailsRefused(
            N_("The date of birth you entered does not match the one in your passport’s machine-readable zone"),
            "dob-day",
        )
    if numbers.expiry_date < today:
        raise DetailsRefused(EXPIRED, "mrz-2")
    return Details(person, DocumentClaim(DocumentKind.UK_PASSPORT, numbers.document_number, numbers.expiry_date))


def driving_licence(form: Mapping[str, object], today: dt.date) -> Details:
    person = _person(form, today)
    typed = _text(form, "licence-number", 40)
    if not typed:
        raise DetailsRefused(N_("Enter your driving licence number"), "licence-number")
    try:
        number = check_driving_licence(typed, person.surname, person.given_names, person.birth_date, None)
    except DocumentRefused as error:
        raise DetailsRefused(error.template, "licence-number") from None
    expires = _date(form, "expiry", N_("Enter the date your licence expires (4b on the licence)"),
                    N_("Expiry date must be a real date, like 27 3 2030"))  # fmt: skip
    if expires < today:
        raise DetailsRefused(EXPIRED, "expiry-day")
    issue = _text(form, "issue-number", 4)
    if not _ISSUE.match(issue):
        raise DetailsRefused(N_("Enter the issue number: the 2 digits after the licence number"), "issue-number")
    return Details(person, DocumentClaim(DocumentKind.UK_PHOTOCARD_DRIVING_LICENCE, number, expires, issue))
