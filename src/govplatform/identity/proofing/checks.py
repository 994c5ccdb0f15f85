"""The checks that prove an identity, each behind one interface so a real provider and a sandbox are
interchangeable (STYLE.md 4), and so the exchange can register a provider that looks records up in another
public body's dataset without identity importing it (the composition root registers providers).

A provider reports what it found, never a GPG 45 score: whether a document's record exists and matches, how
many knowledge questions were answered right and of what quality, what fraud indicators and how much activity
history it saw. The platform turns those facts into scores (scoring.py) by one published table
(docs/identity-proofing.md), so a provider cannot inflate a level and every route is scored alike.

`reads_record` says whether the check looked up a record about the person; each such check is written to the
transparency log by the journey, whatever its outcome, unless the check wrote it itself (`logged`: the
exchange's records check, whose query is recorded about the document as every exchange query is).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Protocol


@dataclasses.dataclass(frozen=True)
class Address:
    """Where the person says they live now, as they typed it (the postcode normalised: upper case, one space)."""

    line_1: str  # building number or name, and street
    town: str
    postcode: str


@dataclasses.dataclass(frozen=True)
class Claimant:
    """Who the person says they are, as they typed it."""

    given_names: str
    surname: str
    birth_date: dt.date
    address: Address | None = None


class DocumentKind(enum.StrEnum):
    UK_PASSPORT = "uk_passport"
    UK_PHOTOCARD_DRIVING_LICENCE = "uk_photocard_driving_licence"


@dataclasses.dataclass(frozen=True)
class DocumentClaim:
    """A document's details, already checked for form (documents.py): the number, its expiry and, for a
    licence, the issue number."""

    kind: DocumentKind
    number: str
    expiry_date: dt.date
    issue_number: str | None = None


class DocumentStatus(enum.StrEnum):
    VALID = "valid"  # the issuer's record exists, is current and matches the claimant
    NOT_FOUND = "not_found"  # no record of this number
    DETAILS_DIFFER = "details_differ"  # a record, but its name or date of birth is not the claimant's
    CANCELLED = "cancelled"  # reported lost, stolen or otherwise cancelled
    EXPIRED = "expired"


@dataclasses.dataclass(frozen=True)
class DocumentResult:
    kind: DocumentKind
    status: DocumentStatus
    reads_record: bool  # a record about a person was read (even one that did not match)
    logged: bool = False  # the check wrote that read to the transparency log itself (the exchange's does)


class QuestionQuality(enum.StrEnum):
    LOW = "low"  # a fact others could find out (a previous address)
    MEDIUM = "medium"  # a fact from a record only the person and the record's holder should know


@dataclasses.dataclass(frozen=True)
class Question:
    id: str
    text: str  # English; the provider's words, shown as they are
    text_cy: str
    options: tuple[str, ...]  # the values answered with, and shown in English
    quality: QuestionQuality
    options_cy: tuple[str, ...] = ()  # the same options in Welsh, in the same order (none: shown as they are)


@dataclasses.dataclass(frozen=True)
class KnowledgeResult:
    asked: int
    right: int
    lowest_quality: QuestionQuality | None  # of the questions asked; None when none could be asked
    reads_record: bool


class FraudIndicator(enum.StrEnum):
    DECEASED = "deceased"
    IDENTITY_REPORTED_STOLEN = "identity_reported_stolen"
    SYNTHETIC_IDENTITY = "synthetic_identity"


@dataclasses.dataclass(frozen=True)
class FraudResult:
    found: bool  # the identity is known to the provider's sources
    indicators: tuple[FraudIndicator, ...]
    active_since: dt.date | None  # the earliest activity the sources hold for the identity
    reads_record: bool
    address_confirmed: bool = False  # the sources hold the address typed as the person's current one


class DocumentCheck(Protocol):
    name: str  # the provider, for the record and the success rates: "sandbox", ...
    source: str  # whose record is read: "HM Passport Office", "DVLA"

    async def handles(self, kind: DocumentKind) -> bool:
        """Whether it can check this kind of document now; asked at each try."""
        ...

    async def check(self, claimant: Claimant, claim: DocumentClaim) -> DocumentResult: ...


class KnowledgeCheck(Protocol):
    name: str
    source: str

    async def questions(self, claimant: Claimant) -> tuple[Question, ...]:
        """The questions for this person; none when the sources hold too little about them."""
        ...

    async def mark(self, claimant: Claimant, answers: dict[str, str]) -> KnowledgeResult: ...


class FraudCheck(Protocol):
    name: str
    source: str

    async def check(self, claimant: Claimant) -> FraudResult: ...
