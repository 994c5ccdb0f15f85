"""The services a citizen has signed in to, with the first and the last time: recorded when a code is issued
to a service, shown on their account's "Your services" page, and told when the account is deleted.

Recorded by one upsert ("insert, or on conflict move last_used_at on"), so two sign-ins at once to one
service cannot fail on the key, on PostgreSQL and SQLite alike. Codes themselves are deleted a day after
they expire (schedule.py), so this table, not the codes, is the lasting record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from govplatform.core.interfaces import UnitOfWork
from govplatform.identity.models import RelyingParty, ServiceUse

_uses = cast(Table, ServiceUse.__table__)


def _upsert(dialect: Any) -> Any:
    statement = dialect.insert(_uses)
    return statement.on_conflict_do_update(
        index_elements=[_uses.c.citizen_id, _uses.c.client_id],
        set_={"last_used_at": statement.excluded.last_used_at},
    )


_RECORD = {"postgresql": _upsert(postgresql), "sqlite": _upsert(sqlite)}


@dataclasses.dataclass(frozen=True)
class UsedService:
    client_id: str
    name: str
    first_used_at: dt.datetime
    last_used_at: dt.datetime


async def record(uow: UnitOfWork, citizen_id: uuid.UUID, client_id: str, now: dt.datetime) -> None:
    """The citizen used the service now. The caller commits."""
    statement = _RECORD[uow.session.get_bind().dialect.name]
    values = {"citizen_id": citizen_id, "client_id": client_id, "first_used_at": now, "last_used_at": now}
    await uow.session.execute(statement, values)


async def used_by(uow: UnitOfWork, citizen_id: uuid.UUID) -> list[UsedService]:
    """The citizen's services, most recently used first (a service since removed is left out)."""
    rows = await uow.session.execute(
        select(ServiceUse.client_id, RelyingParty.name, ServiceUse.first_used_at, ServiceUse.last_used_at)
        .join(RelyingParty, RelyingParty.client_id == ServiceUse.client_id)
        .where(ServiceUse.citizen_id == citizen_id)
        .order_by(ServiceUse.last_used_at.desc(), RelyingParty.name)
    )
    return [UsedService(*row) for row in rows]


async def forget(uow: UnitOfWork, citizen_id: uuid.UUID) -> None:
    await uow.session.execute(delete(ServiceUse).where(ServiceUse.citizen_id == citizen_id))
