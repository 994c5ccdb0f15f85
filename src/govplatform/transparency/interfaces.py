"""What other components use from the transparency log: the record of one use of data, and of one change to a
data-sharing agreement.

A component that uses a person's data (a data exchange, identity proofing, a
form prefill) calls `TransparencyLog.record_use` with the unit of work in which
it uses the data, so the use and its log entry commit together or not at all.
The exchange records each change to an agreement (`record_agreement`) the same
way, so the public can check that the register of agreements was never
rewritten.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Protocol

from govplatform.core.interfaces import UnitOfWork


@dataclasses.dataclass(frozen=True)
class AgreementParty:
    id: uuid.UUID
    name: str


@dataclasses.dataclass(frozen=True)
class ExchangeVia:
    """How an exchange answer reached the user of the data: the agreement, who provided it from which dataset,
    and whether a member's own system asked or the platform asked for one of its services."""

    agreement_id: uuid.UUID
    provider: AgreementParty
    dataset: AgreementParty
    asked_by: str  # "member" or "platform"


@dataclasses.dataclass(frozen=True)
class DataUse:
    """One use of a person's data: who used what, whose, why, and when. Never the values."""

    organisation_id: uuid.UUID
    organisation_name: str
    service_id: uuid.UUID | None  # None: a body's own system asked through the exchange, not one of its services
    service_name: str | None
    data_items: tuple[str, ...]  # names of the data items, e.g. ("address", "date of birth")
    subject: str  # the person's identifier in the calling service; the log keeps only a keyed pseudonym
    purpose: str
    legal_basis: str
    occurred_at: dt.datetime
    via: ExchangeVia | None = None


@dataclasses.dataclass(frozen=True)
class AgreementChange:
    """One change to a data-sharing agreement: what it now allows, between whom, and who changed it (by role,
    never by name: the log is public)."""

    agreement_id: uuid.UUID
    action: str  # drafted, approved, signed-off, suspended, resumed, revoked
    state: str  # the agreement's state after the change
    consumer: AgreementParty
    provider: AgreementParty
    dataset: AgreementParty  # the dataset's id and name
    data_items: tuple[str, ...]
    purpose: str
    legal_basis: str
    expires_on: dt.date | None
    by_role: str  # consumer, data-owner, chief-data-officer or operator
    occurred_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class LoggedUse:
    """An entry about a person, as the log holds it: its index once integrated (None while pending), its bytes
    (the canonical JSON record), and whether a published checkpoint covers it yet."""

    index: int | None
    data: bytes
    in_checkpoint: bool


class TransparencyLog(Protocol):
    async def record_use(self, uow: UnitOfWork, use: DataUse) -> int:
        """Add the use to the log in the caller's transaction; returns its pending id."""
        ...

    async def record_use_for_receipt(self, uow: UnitOfWork, use: DataUse) -> bytes:
        """As `record_use`; returns the entry's RFC 9162 leaf hash, by which `receipt_for` finds it later."""
        ...

    async def receipt_for(self, uow: UnitOfWork, leaf_hash: bytes) -> str | None:
        """A c2sp.org/tlog-proof@v1 receipt for the entry with this leaf hash, carrying the entry itself (in
        `extra`) so it can be checked offline; None until a published checkpoint covers the entry."""
        ...

    async def uses_about(self, uow: UnitOfWork, subjects: list[str]) -> list[LoggedUse]:
        """Every entry, pending or integrated, whose subject is one of `subjects` (the callers' identifiers, as
        given to `record_use`), newest first. Only a caller that has proved the subjects are the person's may
        ask: the pseudonyms are keyed so that no one else can find a person's entries."""
        ...

    async def receipt_of(self, uow: UnitOfWork, index: int, subjects: list[str]) -> str | None:
        """A receipt carrying the entry for entry `index`, if its subject is one of `subjects` and a published
        checkpoint covers it; None otherwise."""
        ...

    async def record_agreement(self, uow: UnitOfWork, change: AgreementChange) -> int:
        """Add the change to the log in the caller's transaction; returns its pending id."""
        ...

    def pseudonym(self, subject: str) -> str:
        """The pseudonymous subject identifier the log uses for `subject`."""
        ...
