"""What other components use from the transparency log: the record of one use of data.

A component that uses a person's data (a data exchange, identity proofing, a
form prefill) calls `TransparencyLog.record_use` with the unit of work in which
it uses the data, so the use and its log entry commit together or not at all.
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


class TransparencyLog(Protocol):
    async def record_use(self, uow: UnitOfWork, use: DataUse) -> int:
        """Add the use to the log in the caller's transaction; returns its pending id."""
        ...

    def pseudonym(self, subject: str) -> str:
        """The pseudonymous subject identifier the log uses for `subject`."""
        ...
