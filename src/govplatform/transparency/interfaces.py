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
class DataUse:
    """One use of a person's data: who used what, whose, why, and when. Never the values."""

    organisation_id: uuid.UUID
    organisation_name: str
    service_id: uuid.UUID
    service_name: str
    data_items: tuple[str, ...]  # names of the data items, e.g. ("address", "date of birth")
    subject: str  # the person's identifier in the calling service; the log keeps only a keyed pseudonym
    purpose: str
    legal_basis: str
    occurred_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class AgreementParty:
    id: uuid.UUID
    name: str


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


class TransparencyLog(Protocol):
    async def record_use(self, uow: UnitOfWork, use: DataUse) -> int:
        """Add the use to the log in the caller's transaction; returns its pending id."""
        ...

    async def record_agreement(self, uow: UnitOfWork, change: AgreementChange) -> int:
        """Add the change to the log in the caller's transaction; returns its pending id."""
        ...

    def pseudonym(self, subject: str) -> str:
        """The pseudonymous subject identifier the log uses for `subject`."""
        ...
