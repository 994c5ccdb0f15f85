"""How the records check reads a licence record against what the person typed (exchange/records_check.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from govplatform.exchange.records_check import _status
from govplatform.identity.interfaces import Claimant, DocumentClaim, DocumentKind, DocumentStatus

SIAN = Claimant("Siân", "Morgan", dt.date(1964, 7, 5))
EXPIRES = dt.date.today() + dt.timedelta(days=400)
RECORD = {"given-names": "SIAN", "family-name": "MORGAN", "date-of-birth": "1964-07-05",
          "driving-licence-expiry-date": EXPIRES.isoformat(), "driving-licence-issue-number": "07"}  # fmt: skip


def _claim(issue: str | None = "07", expiry: dt.date = EXPIRES) -> DocumentClaim:
    return DocumentClaim(DocumentKind.UK_PHOTOCARD_DRIVING_LICENCE, "MORGA657054SM9IJ", expiry, issue)


@pytest.mark.parametrize(
    ("claimant", "claim", "record", "status"),
    [
        (SIAN, _claim(), RECORD, DocumentStatus.VALID),  # accents and case are folded, as licences print names
        (Claimant(" siân ", "MORGAN", SIAN.birth_date), _claim(None), RECORD, DocumentStatus.VALID),
        (Claimant("Sian", "Morgan-Jones", SIAN.birth_date), _claim(), RECORD, DocumentStatus.DETAILS_DIFFER),
        (Claimant("Sian", "Morgan", dt.date(1964, 7, 6)), _claim(), RECORD, DocumentStatus.DETAILS_DIFFER),
        (SIAN, _claim(expiry=EXPIRES - dt.timedelta(days=1)), RECORD, DocumentStatus.DETAILS_DIFFER),
        (SIAN, _claim("06"), RECORD, DocumentStatus.CANCELLED),  # a card replaced by issue 07
        (SIAN, _claim("08"), RECORD, DocumentStatus.DETAILS_DIFFER),  # no such card yet
        (SIAN, _claim(), {**RECORD, "date-of-birth": "05/07/1964"}, DocumentStatus.DETAILS_DIFFER),
        (SIAN, _claim(), {**RECORD, "given-names": None}, DocumentStatus.DETAILS_DIFFER),
        (SIAN, _claim(expiry=dt.date(2020, 1, 1)), {**RECORD, "driving-licence-expiry-date": "2020-01-01"},
         DocumentStatus.EXPIRED),
    ],
)  # fmt: skip
def test_a_record_is_read_against_the_details_typed(
    claimant: Claimant, claim: DocumentClaim, record: dict[str, object], status: DocumentStatus
) -> None:
    assert _status(claimant, claim, record) is status
